"""Property-based tests: no input to the add-disk forms, the audit filters or the list pages
gives a 500, and no invalid disk ever reaches the cloud (the simulator's log and state).

Examples per test: the hypothesis profile (HYPOTHESIS_PROFILE=ci, the default: 50;
dev: 100; thorough: 1000), see tests/security/conftest.py.
"""

import uuid

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from disks import rules
from disks.services.audit import audit_event_record
from tests.factories import SYSTEM, desktop_of
from tests.inventory.conftest import upstream_desktops

pytestmark = pytest.mark.django_db

ANSWERED = {200, 302, 400, 404}
# Any text a browser (or an attacker) can send: every character but lone surrogates.
# NUL is named on its own: PostgreSQL refuses it, and random text seldom holds one.
text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["\x00", "a\x00b", "%00"]),
)
numbers = st.one_of(
    st.integers(-(10**6), 10**7).map(str),
    st.sampled_from(["10", "20", "32760", "32770", "5", "15", "1e3", "²", " 20 ", "0x14", "NaN"]),
    st.sampled_from(["\u0661\u0660", "10.0", "-0", "", "9" * 40]),
    text,
)
disk_types = st.one_of(
    st.sampled_from(["SAS", "SSD", "GPSSD", "GPSSD2", "ESSD", "SATA", "sas", ""]), text
)
rows = st.lists(
    st.fixed_dictionaries(
        {"type": disk_types, "size": numbers, "iops": numbers, "throughput": numbers}
    ),
    max_size=12,
)
actions = st.one_of(
    st.sampled_from(["submit", "submit", "validate", "add-row", "remove-row-0", "remove-row-²"]),
    text,
)


def form_data(action, disk_rows, total, key, project) -> dict:
    data = {
        "action": action,
        "idempotency_key": key,
        "enterprise_project_id": project,
        "disks-TOTAL_FORMS": total if total is not None else str(len(disk_rows)),
        "disks-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(disk_rows):
        data |= {f"disks-{index}-{name}": value for name, value in row.items()}
    return data


form_posts = st.builds(
    form_data,
    actions,
    rows,
    st.one_of(st.none(), st.integers(-3, 15).map(str), text),
    st.one_of(st.uuids().map(str), text),
    st.one_of(st.just("0"), text),
)


def volume_ids(sim) -> set[str]:
    return {
        volume["volume_id"]
        for desktop in upstream_desktops(sim).values()
        for volume in desktop["data_volumes"]
    }


def assert_no_invalid_disk_reached_the_cloud(sim, seeded: set[str]) -> None:
    """Every AddDesktopVolumes the simulator saw was valid (it answers 400 to invalid ones),
    and every data disk added since the seed is within the rules."""
    refused = [entry for entry in sim.requests_log("AddDesktopVolumes") if entry["status"] == 400]
    assert refused == []
    for desktop in upstream_desktops(sim).values():
        assert len(desktop["data_volumes"]) <= rules.MAX_DATA_DISKS_PER_DESKTOP
        for volume in desktop["data_volumes"]:
            if volume["volume_id"] not in seeded:
                assert rules.size_error(volume["size"]) is None, volume
                assert volume["type"] in rules.DISK_TYPE_LABELS, volume


@pytest.fixture
def helpdesk_form(synced, client, helpdesk_user):
    client.force_login(helpdesk_user)
    client.raise_request_exception = False
    targets = [desktop_of(synced, "alice.wong"), desktop_of(synced, "bob.martin")]
    urls = [reverse("disks:helpdesk-disk-add", args=[d]) for d in targets]
    return synced, client, urls, volume_ids(synced)


@pytest.fixture
def portal_form(synced, client, end_user):
    client.force_login(end_user)
    client.raise_request_exception = False
    url = reverse("disks:portal-disk-add", args=[desktop_of(synced, "alice.wong")])
    return synced, client, [url], volume_ids(synced)


@given(post=form_posts, which=st.integers(0, 1))
def test_the_helpdesk_form_answers_any_post_and_sends_only_valid_disks(helpdesk_form, post, which):
    sim, client, urls, seeded = helpdesk_form
    response = client.post(urls[which], post)
    assert response.status_code in ANSWERED, response.status_code
    assert_no_invalid_disk_reached_the_cloud(sim, seeded)


@given(post=form_posts)
def test_the_portal_form_answers_any_post_and_sends_only_valid_disks(portal_form, post):
    sim, client, (url,), seeded = portal_form
    response = client.post(url, post)
    assert response.status_code in ANSWERED, response.status_code
    assert_no_invalid_disk_reached_the_cloud(sim, seeded)


# The audit filters ----------------------------------------------------------------------------

dates = st.one_of(st.dates().map(str), st.sampled_from(["9999-12-31", "0001-01-01"]), text)
sequences = st.one_of(st.integers(-5, 2**70).map(str), text)
audit_queries = st.fixed_dictionaries(
    {},
    optional={
        "date_from": dates,
        "date_to": dates,
        "actor": text,
        "desktop": text,
        "action": st.one_of(st.just("inventory.synced"), text),
        "outcome": st.one_of(st.just("success"), text),
        "q": text,
        "before": sequences,
        "after": sequences,
    },
)


@pytest.fixture
def auditor_pages(client, auditor):
    for n in range(3):
        audit_event_record(
            action="inventory.synced", outcome="success", actor=SYSTEM, details={"n": n}
        )
    client.force_login(auditor)
    client.raise_request_exception = False
    return client


@given(query=audit_queries, page=st.sampled_from(["list", "rows", "results", "export"]))
def test_the_audit_pages_answer_any_filter(auditor_pages, query, page):
    url = reverse("disks:audit-event-export" if page == "export" else "disks:audit-event-list")
    headers = {}
    if page in ("rows", "results"):
        target = "event-rows" if page == "rows" else "results"
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": target}
    response = auditor_pages.get(url, query, **headers)
    assert response.status_code in ANSWERED, response.status_code
    if response.streaming:
        b"".join(response.streaming_content)


# Every query parameter of the list pages ------------------------------------------------------

LIST_PAGES = {
    "disks:helpdesk-desktop-list": ("q", "status", "page"),
    "disks:helpdesk-request-list": ("status", "desktop", "requester", "page"),
    "disks:helpdesk-approval-list": ("page",),
}
PORTAL_LIST_PAGES = {"disks:portal-home": ("page", "q")}


def list_queries(names):
    values = st.one_of(text, st.integers(-(2**70), 2**70).map(str), st.just(""))
    return st.dictionaries(st.one_of(st.sampled_from(names), text), values, max_size=5)


@pytest.fixture
def list_clients(synced, client, helpdesk_user):
    client.force_login(helpdesk_user)
    client.raise_request_exception = False
    return client


@given(data=st.data())
def test_the_list_pages_answer_any_query(list_clients, data):
    name = data.draw(st.sampled_from(sorted(LIST_PAGES)))
    query = data.draw(list_queries(LIST_PAGES[name]))
    htmx = data.draw(st.booleans())
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = list_clients.get(reverse(name), query, **headers)
    assert response.status_code in ANSWERED, (name, query, response.status_code)


@given(query=list_queries(PORTAL_LIST_PAGES["disks:portal-home"]))
def test_the_portal_home_answers_any_query(synced, client, end_user, query):
    client.force_login(end_user)
    client.raise_request_exception = False
    assert client.get(reverse("disks:portal-home"), query).status_code in ANSWERED


def test_a_valid_post_does_reach_the_cloud(helpdesk_form):
    """The property above is not empty: a valid form is sent, and once only."""
    sim, client, urls, _ = helpdesk_form
    post = form_data("submit", [{"type": "SAS", "size": "20"}], None, str(uuid.uuid4()), "0")
    assert client.post(urls[0], post).status_code == 302
    assert [entry["status"] for entry in sim.requests_log("AddDesktopVolumes")] == [200]
