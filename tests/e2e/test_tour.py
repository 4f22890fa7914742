"""Every page of every audience, as a new user would try it: axe in both themes (no WCAG 2.2
A/AA violation), nothing wider than a 375 px phone, no console error or CSP violation.

With SCREENSHOT_DIR set (make screenshots) it also takes the README's pictures of the
overview, the portal home on a phone and the audit history, in the light and dark themes.
"""

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from disks.client import VolumeSpec
from disks.services.approvals import disk_request_hold_for_approval
from disks.services.requests import disk_request_submit
from tests.audit.conftest import append, event
from tests.e2e.conftest import assert_accessible, assert_fits_phone_width, log_in, screenshot
from tests.factories import desktop_of, helpdesk_actor, portal_actor, seeded_desktop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]


# TOUR_DIR=/some/dir keeps a picture of every page (1280 px light, 375 px dark) for review.
TOUR_DIR = os.environ.get("TOUR_DIR")


def check(page, path: str, what: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, what)
    assert_fits_phone_width(page, what)
    if TOUR_DIR:
        name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
        Path(TOUR_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{TOUR_DIR}/{name}-1280-light.png", full_page=True)
        page.set_viewport_size({"width": 375, "height": 800})
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=f"{TOUR_DIR}/{name}-375-dark.png", full_page=True)
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def requests_of_each_kind(synced, end_user, helpdesk_user):
    alice_first = desktop_of(synced, "alice.wong")
    held = disk_request_hold_for_approval(
        desktop_id=alice_first,
        volumes=[VolumeSpec("SAS", 500)],
        actor=portal_actor(end_user),
        idempotency_key=uuid.uuid4(),
    )
    running = disk_request_submit(
        desktop_id=seeded_desktop(synced, data_disks=0, exclude={alice_first}),
        volumes=[VolumeSpec("SAS", 20), VolumeSpec("SSD", 40)],
        actor=helpdesk_actor(helpdesk_user),
        idempotency_key=uuid.uuid4(),
    )
    return {"held": held, "running": running}


def test_every_helpdesk_page(page, synced, helpdesk_user, requests_of_each_kind):
    log_in(page, helpdesk_user)
    expect(page).to_have_url(re.compile("/overview/$"))
    check(page, "/overview/", "overview")
    screenshot(page, "helpdesk-overview")
    check(page, "/desktops/", "inventory")
    check(page, "/desktops/?sort=-disks", "inventory sorted")
    check(page, "/desktops/?q=zzz-nothing", "inventory, nothing found")
    desktop_id = requests_of_each_kind["running"].desktop_id
    check(page, f"/desktops/{desktop_id}/", "desktop page")
    check(page, f"/desktops/{seeded_desktop(synced, data_disks=0)}/disks/add/", "add-disk form")
    check(page, "/requests/", "requests")
    check(page, "/requests/?status=failed", "requests, none")
    check(page, f"/requests/{requests_of_each_kind['running'].pk}/", "request page")
    check(page, f"/requests/{requests_of_each_kind['held'].pk}/", "held request page")
    check(page, "/approvals/", "approvals")


def test_every_portal_page(page, synced, end_user, requests_of_each_kind):
    log_in(page, end_user)
    check(page, "/portal/", "portal home")
    screenshot(page, "portal-home-phone", phone=True)
    check(page, f"/portal/requests/{requests_of_each_kind['held'].pk}/", "portal request")
    other = desktop_of(synced, "alice.wong", exclude={requests_of_each_kind["held"].desktop_id})
    check(page, f"/portal/desktops/{other}/disks/add/", "portal form")
    page.goto("/desktops/")
    expect(page.locator("main")).to_contain_text("not for your account")
    assert_accessible(page, "forbidden page")
    # The 403 itself is the browser's one console error here, and expected.
    page.console_errors[:] = [e for e in page.console_errors if "403" not in e]


def test_every_audit_page(page, auditor, db):
    append(
        *(event(actor_username=f"user{i}") for i in range(12)),
        event(outcome="failure", error_code="WKS.0407", desktop_name="AWONG-PC01"),
    )
    log_in(page, auditor)
    check(page, "/audit/", "audit history")
    screenshot(page, "audit-history")
    check(page, "/audit/?outcome=failure", "audit history filtered")
    check(page, "/audit/?date_from=2026-02-30", "audit history with a bad date")
    page.goto("/audit/")
    page.locator("#event-rows tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit event #")
    assert_accessible(page, "audit event")
    assert_fits_phone_width(page, "audit event")


def test_sign_in_and_no_team_pages(page, no_group_user):
    check(page, "/accounts/login/", "sign-in")
    log_in(page, no_group_user)
    expect(page.locator("main")).to_contain_text("not yet part of a team")
    assert_accessible(page, "no-team home")
    assert_fits_phone_width(page, "no-team home")


def test_the_theme_switch_cycles_and_is_kept(page, helpdesk_user):
    log_in(page, helpdesk_user)
    switch = page.locator("#theme-switch")
    expect(switch).to_have_text(re.compile("Theme: automatic"))
    switch.click()
    expect(switch).to_have_text(re.compile("Theme: light"))
    switch.click()
    expect(switch).to_have_text(re.compile("Theme: dark"))
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    assert_accessible(page, "overview, dark by the switch")
