"""An end user asks for a large disk, the helpdesk approves it, the end user sees it finish."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_accessible,
    assert_fits_phone_width,
    follow,
    log_in,
    screenshot,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]


def test_a_large_request_waits_for_approval_then_finishes(
    new_page, e2e_settings, synced, end_user, helpdesk_user
):
    e2e_settings.PORTAL_APPROVAL_ABOVE_GB = 100
    alice = new_page()
    helen = new_page()

    log_in(alice, end_user)
    expect(alice).to_have_url(re.compile("/portal/$"))
    assert_accessible(alice, "portal home")
    assert_fits_phone_width(alice, "portal home")
    follow(alice, alice.get_by_role("link", name=re.compile("Request disks for AWONG-PC")).first)
    assert_accessible(alice, "portal form")
    alice.get_by_label("Size (GB)").fill("300")
    alice.get_by_role("button", name="Add 1 disk").click()
    status = alice.locator("#request-status")
    expect(status).to_contain_text("Waiting for a helpdesk member to approve it.")
    assert_accessible(alice, "portal request page")
    screenshot(alice, "portal-waiting-for-approval")

    log_in(helen, helpdesk_user)
    helen.get_by_role("link", name="Approvals").click()
    expect(helen.locator("main")).to_contain_text("for alice.wong")
    assert_accessible(helen, "approvals")
    helen.get_by_role("button", name=re.compile(r"Approve #\d+")).click()
    expect(helen.locator(".messages")).to_contain_text("approved and sent to the cloud")

    # Alice's page, still open, follows the request to the end on its own.
    expect(status).to_contain_text("The disks were added to the desktop.", timeout=25_000)
    expect(alice.locator("main")).to_contain_text("hana.helpdesk")
