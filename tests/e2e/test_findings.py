"""The interface review's findings, each checked in a real browser under the strict CSP.

Every test here also fails on any console error or CSP violation (the `page` fixture).
"""

import csv
import io
import itertools
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from disks.client import VolumeSpec
from disks.models import AuditEvent, DiskRequest
from disks.services.approvals import disk_request_hold_for_approval
from tests.audit.conftest import append, event
from tests.e2e.conftest import assert_accessible, assert_fits_phone_width, log_in
from tests.factories import desktop_of, portal_actor, seeded_desktop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.simulator(speed=4),
    pytest.mark.django_db(transaction=True),
]


def open_add_form(page, sim, data_disks=0) -> str:
    desktop_id = seeded_desktop(sim, data_disks=data_disks)
    page.goto(f"/desktops/{desktop_id}/disks/add/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add data disks")
    return desktop_id


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


# 1. The export is exactly what the page shows, and says which filters produced it.


def test_the_export_holds_exactly_the_filtered_events(page, auditor, db):
    append(
        *(event(outcome=AuditEvent.Outcome.SUCCESS, actor_username=f"u{i}") for i in range(28)),
        event(outcome=AuditEvent.Outcome.FAILURE, error_code="WKS.0407"),
        event(outcome=AuditEvent.Outcome.FAILURE, error_code="WKS.0001"),
    )
    log_in(page, auditor)
    page.get_by_label("Outcome").select_option("failure")
    results = page.locator("#audit-results")
    expect(results).to_contain_text("2 events from")
    expect(page).to_have_url(re.compile(r"outcome=failure"))
    shown = page.locator("#event-rows tbody tr").count()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these events (CSV)").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[1] == "# Filters: Outcome = Failure"
    rows = list(csv.DictReader(io.StringIO(text[text.index("sequence,") :])))
    assert len(rows) == shown == 2
    assert {row["outcome"] for row in rows} == {"failure"}
    assert {row["error_code"] for row in rows} == {"WKS.0407", "WKS.0001"}


# 3. Focus after "Add another disk" and "Remove".


def test_focus_follows_adding_and_removing_rows(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    page.get_by_role("button", name="Add another disk").click()
    expect(page.locator("#id_disks-1-type")).to_be_focused()
    page.get_by_role("button", name="Add another disk").click()
    expect(page.locator("#id_disks-2-type")).to_be_focused()
    # Removing a middle row: the row that takes its place has the focus.
    page.get_by_role("button", name="Remove disk 2").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 2;")
    expect(page.locator("#id_disks-1-type")).to_be_focused()
    # Removing the last row: the next control, "Add another disk".
    page.get_by_role("button", name="Remove disk 2").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 1;")
    expect(page.locator("#add-row")).to_be_focused()
    assert active_id(page) != ""


# 4. One message, ours, inline, before and after submit; the range shows before typing.


def test_size_rules_show_before_typing_and_errors_are_ours_and_inline(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    size = page.get_by_label("Size (GB)")
    expect(page.locator("#id_disks-0-size-help")).to_have_text("10 to 32,760 GB, in steps of 10.")
    assert "id_disks-0-size-help" in size.get_attribute("aria-describedby")
    errors = page.locator("#id_disks-0-size-errors")
    add_url = page.url

    # Empty: caught before any post, with our words in the inline place.
    page.get_by_role("button", name="Add 1 disk").click()
    expect(errors).to_contain_text("Enter a size: 10 to 32,760 GB, in steps of 10.")
    assert page.url == add_url
    expect(size).to_be_focused()
    expect(size).to_have_attribute("aria-invalid", "true")

    # Too large: the server's rule, not the browser's "less than or equal to" bubble.
    size.fill("40000")
    expect(errors).to_contain_text("A data disk must be between 10 and 32760 GB.")
    page.get_by_role("button", name="Add 1 disk").click()
    expect(errors).to_have_text(re.compile(r"^\s*A data disk must be between 10 and 32760 GB"))
    assert page.url == add_url

    # "1e3" is not a size, before or after a submit.
    size.fill("1e3")
    expect(errors).to_contain_text("Enter the size as a whole number of GB, digits only")
    page.get_by_role("button", name="Add 1 disk").click()
    expect(errors).to_contain_text("Enter the size as a whole number of GB, digits only")
    assert not DiskRequest.objects.exists()


def test_gpssd2_shows_its_iops_range(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    options = page.locator("#id_disks-0-type option").all_inner_texts()
    if not any("GPSSD2" in option for option in options):
        pytest.skip("the simulator does not sell GPSSD2")
    page.locator("#id_disks-0-type").select_option("GPSSD2")
    expect(page.locator("#id_disks-0-iops-help")).to_contain_text("GPSSD2:")


# 5. The status region speaks only on changes.


def test_the_live_region_is_small_and_outside_the_polled_fragment(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    page.get_by_label("Size (GB)").fill("20")
    page.get_by_role("button", name="Add 1 disk").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    status = page.locator("#request-status")
    assert page.evaluate(
        "!document.getElementById('request-status').closest('[aria-live], [role=status]')"
    )
    announcer = page.locator("#status-announcer")
    expect(announcer).to_have_attribute("role", "status")
    expect(status).to_contain_text("The disks were added to the desktop.", timeout=20_000)
    expect(announcer).to_have_text(re.compile(r"^Request #\d+: Done\.$"))
    assert len(announcer.inner_text().split()) < 8


# 6. Portal home: requests first, no second request for a waiting desktop, words not codes.


def test_portal_home_puts_requests_first_and_speaks_plainly(page, synced, end_user):
    waiting_desktop = desktop_of(synced, "alice.wong")
    held = disk_request_hold_for_approval(
        desktop_id=waiting_desktop,
        volumes=[VolumeSpec("SAS", 500)],
        actor=portal_actor(end_user),
        idempotency_key=uuid.uuid4(),
    )
    log_in(page, end_user)
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index("My requests") < headings.index("Desktops")
    card = page.locator(".desktop-card", has_text=held.desktop_name)
    expect(card).to_contain_text(f"Request #{held.pk} is waiting for approval.")
    expect(card.get_by_role("link", name=re.compile("Request disks"))).to_have_count(0)
    assert not re.search(r"[a-z]+[A-Z][a-zA-Z]+Snapshot|creatingWks", page.content())
    page.get_by_role("link", name=re.compile("Request disks for")).first.click()
    expect(page.get_by_label(re.compile("Enterprise project"))).to_have_count(0)


# 7. Narrow screens: tables become cards, chart labels stay readable, filters fold.


def test_audit_on_a_phone_shows_results_first(new_page, auditor, db):
    append(*(event(actor_username=f"user{i}") for i in range(5)))
    page = new_page(width=375, height=800)
    log_in(page, auditor)
    expect(page.locator("details.filter-panel")).not_to_have_attribute("open", "")
    label_size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.chart-days')).fontSize)"
    )
    assert label_size >= 12
    cells = page.locator("#event-rows tbody tr").first.locator("td")
    assert cells.count() == 9
    for index in range(cells.count()):
        expect(cells.nth(index)).to_be_visible()
    assert_fits_phone_width(page, "audit history")


# 8. Approvals: links, a count in the navigation, several at once.


def test_the_helpdesk_approves_several_requests_at_once(page, synced, end_user, helpdesk_user):
    held = [
        disk_request_hold_for_approval(
            desktop_id=desktop_of(synced, "alice.wong", exclude=exclude),
            volumes=[VolumeSpec("SAS", 500)],
            actor=portal_actor(end_user),
            idempotency_key=uuid.uuid4(),
        )
        for exclude in (set(), {desktop_of(synced, "alice.wong")})
    ]
    log_in(page, helpdesk_user)
    approvals = page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals")
    expect(approvals).to_contain_text("2")
    approvals.click()
    first = page.locator("section.approval").first
    expect(first.get_by_role("link", name=f"#{held[0].pk}")).to_have_attribute(
        "href", f"/requests/{held[0].pk}/"
    )
    expect(first.get_by_role("link", name=held[0].desktop_name)).to_be_visible()
    assert_accessible(page, "approvals")
    for item in held:
        page.get_by_label(f"Select request #{item.pk}").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Approved and sent to the cloud: #{held[0].pk}, #{held[1].pk}."
    )
    expect(page.locator("main")).to_contain_text("Nothing is waiting for approval.")
    assert not DiskRequest.objects.filter(status=DiskRequest.Status.PENDING_APPROVAL).exists()


# 9. No CSP error when rows are added while another swap is in flight.


def test_adding_rows_during_a_live_check_breaks_no_rule(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    # Each click lands while the live check of what was just typed is still in flight.
    page.get_by_label("Size (GB)").fill("25")
    page.get_by_role("button", name="Add another disk").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 2;")
    page.locator("#id_disks-1-size").fill("35")
    page.get_by_role("button", name="Add another disk").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 3;")
    page.locator("#id_disks-2-size").fill("30")
    page.get_by_role("button", name="Remove disk 1").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 2;")
    assert not page.console_errors


# 10. A failed job shows failure in colour and words, and Try again pre-fills a new request.


def test_a_failed_job_is_red_and_can_be_tried_again(page, synced, helpdesk_user):
    synced.fail_next_job("WKS.00010109", "The desktop's computer name is empty.")
    log_in(page, helpdesk_user)
    desktop_id = open_add_form(page, synced)
    page.get_by_label("Size (GB)").fill("50")
    page.get_by_role("button", name="Add 1 disk").click()
    status = page.locator("#request-status")
    expect(status).to_contain_text("The disks could not be added.", timeout=20_000)
    progress = page.locator("#request-status progress")
    if progress.count():
        expect(progress).to_have_class(re.compile("progress-failed"))
        expect(status.locator(".progress-words")).to_contain_text("Failed at")
    assert_accessible(page, "failed request")
    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(re.compile(rf"/desktops/{desktop_id}/disks/add/\?"))
    expect(page.get_by_label("Size (GB)")).to_have_value("50")


def test_a_bad_audit_date_stays_in_its_field(page, auditor, db):
    log_in(page, auditor)
    page.goto("/audit/?date_from=2026-02-30")
    expect(page.get_by_label("From (UTC)")).to_have_value("2026-02-30")
    expect(page.locator("#audit-results")).to_contain_text("Enter a date as YYYY-MM-DD.")


def test_the_add_form_headings_go_in_order(page, synced, helpdesk_user):
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    levels = page.evaluate(
        "[...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
        ".map(h => Number(h.tagName[1]))"
    )
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_the_console_check_sees_a_csp_violation(page, helpdesk_user):
    """The harness itself: an inline style is refused by the CSP and reported as an error."""
    log_in(page, helpdesk_user)
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')"
    )
    page.wait_for_function("true")
    page.wait_for_timeout(300)
    assert any("CSP violation: style-src" in error for error in page.console_errors), (
        page.console_errors
    )
    page.console_errors.clear()


# Lists: after an htmx swap takes the focused control away, the focus lands on the results.


def test_paging_the_audit_keeps_focus_and_the_url(page, auditor, db):
    append(*(event(actor_username=f"user{i}") for i in range(60)))
    log_in(page, auditor)
    older = page.get_by_role("link", name="Older")
    older.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"before=\d+"))
    expect(page.locator("#event-rows")).to_be_focused()
    # 60 events and the sign-in's own, 50 to a page.
    expect(page.locator("#event-rows tbody tr")).to_have_count(AuditEvent.objects.count() - 50)
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('event-rows').contains(document.activeElement)")


def test_a_copy_button_copies_the_desktop_id(page, synced, helpdesk_user):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    desktop_id = seeded_desktop(synced, data_disks=0)
    log_in(page, helpdesk_user)
    page.goto(f"/desktops/{desktop_id}/")
    button = page.get_by_role("button", name="Copy desktop id")
    button.click()
    expect(button).to_have_class(re.compile("copied"))
    assert page.evaluate("navigator.clipboard.readText()") == desktop_id
    expect(page.locator("#announcer")).to_have_text("Copied")


def test_without_script_the_form_still_adds_disks(new_page, synced, helpdesk_user):
    """Progressive enhancement: no script, no htmx, still a working form and no dead controls."""
    page = new_page(javascript=False)
    log_in(page, helpdesk_user)
    open_add_form(page, synced)
    expect(page.locator("#theme-switch")).to_be_hidden()
    page.get_by_role("button", name="Add another disk").click()
    expect(page.locator("#slots")).to_contain_text("This request adds 2;")
    expect(page.locator("#id_disks-1-type")).to_be_focused()
    page.get_by_role("button", name="Remove disk 2").click()
    page.get_by_label("Size (GB)").fill("40000")
    page.locator("form.disk-form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Add 1 disk").click()
    expect(page.locator("#id_disks-0-size-errors")).to_contain_text(
        "A data disk must be between 10 and 32760 GB."
    )
    page.get_by_label("Size (GB)").fill("30")
    page.get_by_role("button", name="Add 1 disk").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
