"""Expand a disk and watch it grow; delete a disk through the typed confirmation and a second
helpdesk member's approval, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from disks.models import Desktop
from tests.e2e.conftest import assert_accessible, assert_fits_phone_width, log_in, screenshot
from tests.factories import seeded_desktop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def second_helpdesk(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username="ivo.helpdesk", password="pw-ivo.helpdesk-1"
    )
    user.groups.add(Group.objects.get_or_create(name="helpdesk")[0])
    return user


def open_desktop(page, desktop_id):
    page.goto(f"/desktops/{desktop_id}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_helpdesk_expands_a_disk_and_watches_it_grow(page, synced, helpdesk_user):
    desktop_id = seeded_desktop(synced, data_disks=1)
    disk = Desktop.objects.get(desktop_id=desktop_id).sorted_data_volumes[0]
    new_size = disk["size"] + 30
    log_in(page, helpdesk_user)
    open_desktop(page, desktop_id)
    page.get_by_role("link", name="Expand", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Expand a data disk")
    assert_accessible(page, "expand form")
    assert_fits_phone_width(page, "expand form")

    size = page.get_by_label("New size (GB)")
    size.fill(str(disk["size"]))
    expect(page.locator("#id_new_size-errors")).to_contain_text("must be larger")
    size.fill(str(new_size))
    expect(page.locator("#id_new_size-errors")).to_contain_text(
        f"{disk['size']} GB → {new_size} GB (+30 GB)"
    )
    screenshot(page, "expand-form")
    page.get_by_role("button", name="Expand", exact=True).click()

    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    status = page.locator("#request-status")
    expect(status).to_contain_text("The disks were expanded.", timeout=25_000)
    expect(status).to_contain_text("Extend Volume")
    assert_accessible(page, "finished expand")
    screenshot(page, "expand-finished")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").nth(1).click()
    expect(page.locator("table").first).to_contain_text(f"{new_size} GB")
    assert not page.console_errors


def test_a_deletion_needs_the_typed_name_and_a_second_helpdesk_member(
    browser, live_server, e2e_settings, synced, helpdesk_user, second_helpdesk
):
    desktop_id = seeded_desktop(synced, data_disks=2)
    desktop = Desktop.objects.get(desktop_id=desktop_id)
    disk = desktop.sorted_data_volumes[0]
    hana = browser.new_context(base_url=live_server.url).new_page()
    ivo = browser.new_context(base_url=live_server.url).new_page()

    log_in(hana, helpdesk_user)
    open_desktop(hana, desktop_id)
    hana.get_by_role("checkbox", name=disk["device"]).check()
    hana.get_by_role("button", name=re.compile("Delete chosen disks")).click()
    expect(hana.get_by_role("heading", level=1)).to_contain_text("Delete data disks")
    expect(hana.locator("main table")).to_contain_text(disk["volume_id"])
    assert_accessible(hana, "delete confirmation")
    assert_fits_phone_width(hana, "delete confirmation")
    hana.get_by_label(re.compile("Type the desktop's computer name")).fill("wrong name")
    hana.get_by_role("button", name="Delete 1 disk").click()
    expect(hana.locator(".error-box")).to_contain_text("Type the desktop's computer name")
    hana.get_by_label(re.compile("Type the desktop's computer name")).fill(desktop.computer_name)
    screenshot(hana, "delete-confirmation")
    hana.get_by_role("button", name="Delete 1 disk").click()
    status = hana.locator("#request-status")
    expect(status).to_contain_text("Waiting for a helpdesk member to approve it.")

    log_in(ivo, second_helpdesk)
    ivo.get_by_role("link", name="Approvals").click()
    expect(ivo.locator("main")).to_contain_text(disk["device"])
    assert_accessible(ivo, "approvals with a deletion")
    ivo.get_by_role("button", name=re.compile(r"Approve #\d+")).click()
    expect(ivo.locator(".messages")).to_contain_text("approved and sent to the cloud")

    # Hana's page, still open, follows the deletion to the end.
    expect(status).to_contain_text("The disks were deleted from the desktop.", timeout=25_000)
    open_desktop(hana, desktop_id)
    expect(hana.locator("main")).to_contain_text("1 of 10 (9 free)")
    expect(hana.get_by_role("checkbox")).to_have_count(1)
