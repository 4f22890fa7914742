"""A helpdesk user adds disks to every desktop matching a filter, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from disks.models import Batch
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.worker.conftest import DB_TASKS, WorkerThread

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(e2e_settings):
    """A real task queue and one worker thread: it sends the chunks and polls their jobs."""
    e2e_settings.TASKS = DB_TASKS
    thread = WorkerThread("e2e-batch-worker")
    thread.start()
    yield thread
    thread.stop()


def test_select_all_matching_preview_submit_and_watch_the_progress(
    page, synced, helpdesk_user, worker
):
    log_in(page, helpdesk_user)
    page.goto("/desktops/")
    page.get_by_label("Search by desktop name, user or id").fill("alice.wong")
    select_all = page.get_by_role("link", name=re.compile(r"matching this filter"))
    expect(select_all).to_contain_text("5 desktops")
    assert_accessible(page, "inventory with the checkbox column")
    select_all.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Add disks to many desktops")
    expect(page.locator("#chosen-count")).to_contain_text("5 desktops chosen")
    page.get_by_label("Size (GB)").fill("20")
    assert_accessible(page, "new batch")
    page.get_by_role("button", name="Preview").last.click()

    expect(page).to_have_url(re.compile(r"/batches/\d+/$"))
    summary = page.locator("#preview-summary")
    expect(summary).to_contain_text("ready")
    expect(summary).to_contain_text("will be skipped")
    expect(page.locator("#quota-table")).to_be_visible()
    assert_accessible(page, "batch preview")
    screenshot(page, "batch-preview")
    batch = Batch.objects.get()
    ready = batch.items.filter(skip_reason="").count()
    assert ready and not synced.requests_log("AddVolumes")
    page.get_by_role("button", name=re.compile(r"Add the disks to \d+ desktop")).click()

    # The page loads before any desktop is done; the poll brings the summary up to date,
    # the announcer says the summary (never a row), and polling stops at the end.
    status = page.locator("#batch-status")
    expect(status).to_contain_text(f"{ready} done, 0 running", timeout=30_000)
    expect(page.locator("#batch-progress")).to_have_attribute("value", "100")
    expect(status).not_to_have_attribute("hx-trigger", re.compile(".*"))
    expect(status).not_to_have_attribute("aria-live", re.compile(".*"))
    expect(page.locator("#status-announcer")).to_have_text(
        re.compile(rf"Batch #{batch.pk}: Finished\. {ready} done, 0 failed")
    )
    rows = page.locator("#batch-desktops tbody tr")
    expect(rows).to_have_count(batch.items.count())
    expect(rows.first).to_have_attribute("id", re.compile(r"batch-item-\d+"))
    expect(page.locator("#batch-desktops")).to_contain_text("Done")
    assert_accessible(page, "batch progress")
    screenshot(page, "batch-progress")
    assert len(synced.requests_log("AddVolumes")) == 1
    assert not page.console_errors
