"""A helpdesk user adds disks and watches the job finish, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, assert_fits_phone_width, log_in, screenshot
from tests.factories import seeded_desktop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]


def open_add_form(page, sim, data_disks=0):
    desktop_id = seeded_desktop(sim, data_disks=data_disks)
    page.goto("/desktops/")
    page.get_by_label("Search by desktop name, user or id").fill(desktop_id)
    page.get_by_role("link", name=re.compile(r"-PC\d+")).first.click()
    page.get_by_role("link", name="Add disks").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add data disks")
    return desktop_id


def test_helpdesk_adds_two_disks_and_watches_the_job_finish(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    assert_accessible(page, "inventory")
    assert_fits_phone_width(page, "inventory")
    open_add_form(page, synced)
    assert_accessible(page, "add-disk form")
    assert_fits_phone_width(page, "add-disk form")

    page.get_by_label("Size (GB)").fill("25")
    expect(page.locator("#id_disks-0-size-errors")).to_contain_text("choose 20 or 30")
    page.get_by_label("Size (GB)").fill("20")
    expect(page.locator("#id_disks-0-size-errors")).to_be_empty()
    page.get_by_role("button", name="Add another disk").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 2; 8 more can be added.")
    page.locator("#id_disks-1-type").select_option("SSD")
    page.locator("#id_disks-1-size").fill("40")
    screenshot(page, "add-disk-form")
    page.get_by_role("button", name="Add 2 disks").click()

    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    assert_accessible(page, "request page")
    status = page.locator("#request-status")
    expect(status).to_contain_text("The disks were added to the desktop.", timeout=20_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    expect(status).not_to_have_attribute("hx-trigger", re.compile(".*"))
    screenshot(page, "finished-job")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name=re.compile("-PC")
    ).click()
    disks = page.locator("table").first
    expect(disks).to_contain_text("/dev/vdb")
    expect(disks).to_contain_text("/dev/vdc")
    assert_accessible(page, "desktop page")


def test_a_failed_job_shows_its_reason(page, synced, helpdesk_user):
    synced.fail_next_job("WKS.00010109", "The desktop's computer name is empty.")
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    page.get_by_label("Size (GB)").fill("50")
    page.get_by_role("button", name="Add 1 disk").click()
    status = page.locator("#request-status")
    expect(status).to_contain_text("The disks could not be added.", timeout=20_000)
    expect(status).to_contain_text("The desktop's computer name is empty.")
    expect(status).to_contain_text("WKS.00010109")
    assert_accessible(page, "failed request page")


def test_the_form_works_by_keyboard_alone(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    for _ in range(40):
        if page.evaluate("document.activeElement.id") == "id_disks-0-size":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("the size field cannot be reached with Tab")
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    expect(page.locator("#request-status")).to_contain_text("The disks were added", timeout=20_000)
