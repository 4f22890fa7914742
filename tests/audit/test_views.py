"""The audit pages: who may see them, what they show, htmx fragments, the chain's verdict."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disks.audit_chain import audit_chain_verify_and_remember
from disks.models import AuditEvent
from disks.services.audit import audit_event_record
from tests.audit.conftest import append, event
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

LIST, EXPORT, VERIFY = "/audit/", "/audit/export.csv", "/audit/verify/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def recorded():
    return append(
        event(actor_username="anna", desktop_id="d-1", desktop_name="WKS-ONE"),
        event(
            actor_username="bob",
            action=AuditEvent.Action.REQUEST_REFUSED,
            outcome=AuditEvent.Outcome.FAILURE,
            error_code="WKS.0407",
            disk_request_id=41,
            details={"message": "<script>alert(1)</script>"},
        ),
        event(audience="system", actor_username="", action=AuditEvent.Action.INVENTORY_SYNCED),
    )


def detail_url(audit_event) -> str:
    return f"/audit/{audit_event.pk}/"


# Who may see what ---------------------------------------------------------------------------


def test_an_auditor_can_reach_every_audit_page(auditor_client, recorded):
    for url in (LIST, detail_url(recorded[0]), EXPORT):
        assert auditor_client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["helpdesk_user", "no_group_user"])
def test_others_cannot_reach_the_audit_pages(client, request, recorded, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in (LIST, detail_url(recorded[0]), EXPORT):
        assert client.get(url).status_code == 403, url
    assert client.post(VERIFY).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, recorded):
    for url in (LIST, detail_url(recorded[0]), EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


HELPDESK_AND_PORTAL_PAGES = [
    "/desktops/",
    "/desktops/some-desktop/",
    "/desktops/some-desktop/disks/add/",
    "/requests/",
    "/requests/1/",
    "/approvals/",
    "/portal/",
    "/portal/desktops/some-desktop/disks/add/",
    "/portal/requests/1/",
]
HELPDESK_AND_PORTAL_ACTIONS = [
    "/desktops/sync/",
    "/desktops/some-desktop/refresh/",
    "/desktops/some-desktop/disks/add/",
    "/approvals/1/approve/",
    "/approvals/1/reject/",
    "/portal/desktops/some-desktop/disks/add/",
]


@pytest.mark.parametrize("url", HELPDESK_AND_PORTAL_PAGES)
def test_an_auditor_cannot_reach_helpdesk_or_portal_pages(auditor_client, url):
    assert auditor_client.get(url).status_code == 403


@pytest.mark.parametrize("url", HELPDESK_AND_PORTAL_ACTIONS)
def test_an_auditor_cannot_take_helpdesk_or_portal_actions(auditor_client, url):
    before = AuditEvent.objects.count()
    assert auditor_client.post(url, {"disks-TOTAL_FORMS": "1"}).status_code == 403
    assert AuditEvent.objects.count() == before


def test_an_auditors_home_is_the_audit_history(auditor_client):
    assert auditor_client.get("/")["Location"] == LIST


def test_the_navigation_shows_the_history_to_auditors_only(client, auditor, helpdesk_user):
    client.force_login(auditor)
    assert b"Audit history</a>" in client.get(LIST).content
    client.force_login(helpdesk_user)
    assert b"Audit history</a>" not in client.get("/desktops/").content


# The list -----------------------------------------------------------------------------------


def test_the_list_shows_each_event_newest_first(auditor_client, recorded):
    page = auditor_client.get(LIST).content.decode()
    rows = re.findall(r"<tr>\s*<td data-label=\"#\"><a href=\"/audit/(\d+)/\">(\d+)</a>", page)
    assert [sequence for _, sequence in rows] == ["3", "2", "1"]
    assert "Request refused by the cloud" in page
    assert "<code>WKS.0407</code>" in page
    assert "#41" in page and "/requests/41/" not in page, "an auditor cannot open requests"
    assert "<script>alert(1)</script>" not in page


def test_a_helpdesk_auditor_gets_links_to_requests(client, recorded, auditor):
    from django.contrib.auth.models import Group

    auditor.groups.add(Group.objects.get_or_create(name="helpdesk")[0])
    client.force_login(auditor)
    assert 'href="/requests/41/"' in client.get(LIST).content.decode()


def test_the_list_filters(auditor_client, recorded):
    page = auditor_client.get(LIST, {"actor": "bo", "outcome": "failure"}).content.decode()
    assert re.findall(r'<td data-label="#"><a href="/audit/\d+/">(\d+)</a>', page) == ["2"]


def test_a_bad_filter_is_shown_and_the_rest_still_applies(auditor_client, recorded):
    response = auditor_client.get(LIST, {"date_from": "someday", "actor": "anna"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Some filters were not applied" in page
    assert re.findall(r'<td data-label="#"><a href="/audit/\d+/">(\d+)</a>', page) == ["1"]


def test_htmx_filters_get_the_results_without_the_page(auditor_client, recorded):
    response = auditor_client.get(
        LIST, {"actor": "anna"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-results"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="audit-results"')
    assert "<html" not in page and "audit-chart" in page and 'id="event-rows"' in page


def test_htmx_paging_gets_only_the_rows(auditor_client, recorded):
    response = auditor_client.get(
        LIST, {"before": "3"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="event-rows"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="event-rows"')
    assert "audit-chart" not in page, "paging does not recount the summary"
    assert re.findall(r'<td data-label="#"><a href="/audit/\d+/">(\d+)</a>', page) == ["2", "1"]


def test_paging_links_carry_the_cursor_and_the_filters(auditor_client):
    append(*(event(actor_username="pat") for _ in range(60)))
    page = auditor_client.get(LIST, {"actor": "pat"}).content.decode()
    assert 'href="?actor=pat&amp;before=11"' in page
    older = auditor_client.get(LIST, {"actor": "pat", "before": "11"}).content.decode()
    assert 'href="?actor=pat&amp;after=10"' in older
    assert re.findall(r'<td data-label="#"><a href="/audit/\d+/">(\d+)</a>', older) == [
        str(n) for n in range(10, 0, -1)
    ]


def test_the_summary_chart_is_an_inline_svg_with_counts(auditor_client, recorded):
    page = auditor_client.get(LIST).content.decode()
    assert re.search(r'<svg class="audit-chart"[^>]*role="img"', page)
    assert "3 events from" in page
    assert re.search(r"Failure</span> 1", page)


def test_the_pages_carry_no_inline_script_or_style(auditor_client, recorded):
    for url in (LIST, detail_url(recorded[1])):
        page = auditor_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert "<style" not in page and " style=" not in page and "hx-on" not in page, url


# The verdict --------------------------------------------------------------------------------


def verdict_text(client) -> str:
    page = client.get(LIST).content.decode()
    return re.sub(r"\s+", " ", re.search(r'<p class="verdict[^"]*">(.*?)</p>', page, re.S)[1])


def test_before_any_check_the_page_says_not_verified(auditor_client, recorded):
    assert verdict_text(auditor_client).startswith("<strong>Not verified yet.</strong>")


def test_verify_now_caches_the_verdict_and_records_nothing(auditor_client, recorded):
    response = auditor_client.post(f"{VERIFY}?actor=anna")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?actor=anna"
    assert AuditEvent.objects.count() == 3
    assert "<strong>Intact:</strong> all 3 events" in verdict_text(auditor_client)


def test_verify_now_over_htmx_returns_the_verdict_alone(auditor_client, recorded):
    response = auditor_client.post(VERIFY, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="chain-verdict")
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="chain-verdict"')
    assert "Intact:" in page


def test_verify_now_is_post_only(auditor_client):
    assert auditor_client.get(VERIFY).status_code == 405


def test_a_newer_event_makes_the_verdict_stale(auditor_client, recorded):
    audit_chain_verify_and_remember()
    audit_event_record(action="inventory.synced", outcome="success", actor=SYSTEM)
    assert verdict_text(auditor_client).startswith("<strong>Not verified since event #3.</strong>")


def test_a_broken_chain_is_shown_with_its_first_broken_link(auditor_client, recorded):
    if connection.vendor == "postgresql":
        pytest.skip("the trigger refuses the change; test_chain covers PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE disks_auditevent SET actor_username = 'eve' WHERE sequence = 2")
    auditor_client.post(VERIFY)
    assert verdict_text(auditor_client).startswith("<strong>Broken at event #2:</strong>")
    detail = auditor_client.get(detail_url(recorded[1])).content.decode()
    assert "Does not match its hash" in detail


# One event ----------------------------------------------------------------------------------


def test_the_detail_shows_every_field_and_escaped_details(auditor_client, recorded):
    page = auditor_client.get(detail_url(recorded[1])).content.decode()
    for text in ("Request refused by the cloud", "bob", "WKS.0407", "#41", recorded[1].hash):
        assert text in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Matches its hash." in page and "Links to event #1." in page


def test_the_detail_links_to_its_neighbours(auditor_client, recorded):
    page = auditor_client.get(detail_url(recorded[1])).content.decode()
    assert f'href="/audit/{recorded[0].pk}/" rel="prev"' in page
    assert f'href="/audit/{recorded[2].pk}/" rel="next"' in page
    first = auditor_client.get(detail_url(recorded[0])).content.decode()
    assert 'rel="prev"' not in first and "First event of the chain." in first


def test_the_detail_of_a_missing_event_is_404(auditor_client):
    assert auditor_client.get("/audit/999999/").status_code == 404


@pytest.mark.parametrize("cursor", ["abc", "-5", "99999999999999999999999", "9223372036854775808"])
def test_a_nonsense_cursor_shows_the_newest_page(auditor_client, recorded, cursor):
    response = auditor_client.get(LIST, {"before": cursor, "after": cursor})
    assert response.status_code == 200
    assert re.findall(
        r'<td data-label="#"><a href="/audit/\d+/">(\d+)</a>', response.content.decode()
    ) == [
        "3",
        "2",
        "1",
    ]


def test_the_list_takes_a_few_queries_however_many_rows_it_shows(auditor_client, recorded):
    auditor_client.get(LIST)  # fills the cache of ended days' counts
    with CaptureQueriesContext(connection) as few:
        auditor_client.get(LIST)
    append(*(event(disk_request_id=n, desktop_id=f"d-{n}") for n in range(60)))
    with CaptureQueriesContext(connection) as many:
        auditor_client.get(LIST)
    # 11: the summary reads ended days from the cache and counts today live (two queries
    # where one count over the whole range used to be).
    assert len(many.captured_queries) == len(few.captured_queries) <= 11


def test_a_long_chain_is_verified_on_the_worker(client, auditor, settings):
    from django_tasks_db.models import DBTaskResult

    from disks.models import AuditEvent
    from disks.services.audit import audit_event_record

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.AUDIT_VERIFY_INLINE_LIMIT = 2
    for _ in range(3):
        audit_event_record(action="inventory.synced", outcome="success", actor=SYSTEM)
    client.force_login(auditor)
    page = client.post(reverse("disks:audit-chain-verify"), HTTP_HX_REQUEST="true")
    assert b"runs on the background worker" in page.content
    assert (
        DBTaskResult.objects.filter(task_path="disks.audit_chain.audit_chain_verify_task").count()
        == 1
    )
    assert AuditEvent.objects.count() == 3
