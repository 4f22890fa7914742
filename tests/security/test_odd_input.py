"""Item 3: odd input gets an answer (a form, a form error or a 400), never a 500."""

import pytest
from django.urls import reverse

from disks.services.audit import audit_event_record
from tests.factories import SYSTEM, desktop_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of(client):
    def login(user):
        client.force_login(user)
        client.raise_request_exception = True  # a crash fails the test with its traceback
        return client

    return login


def rows(action: str) -> dict:
    return {
        "action": action,
        "disks-TOTAL_FORMS": "2",
        "disks-INITIAL_FORMS": "0",
        "disks-0-type": "SAS",
        "disks-0-size": "10",
        "disks-1-type": "SAS",
        "disks-1-size": "20",
    }


@pytest.mark.parametrize(
    "index", ["²", "\u0661", "\u0663", "0x1", "-1", "99999999999999999999", "", " 1"]
)
def test_removing_a_row_by_an_odd_index_answers_the_form(synced, client_of, helpdesk_user, index):
    client = client_of(helpdesk_user)
    desktop_id = desktop_of(synced, "alice.wong")
    url = reverse("disks:helpdesk-disk-add", args=[desktop_id])
    response = client.post(url, rows(f"remove-row-{index}"))
    assert response.status_code == 200
    assert response.context["formset"].total_form_count() == 2  # nothing removed


def test_removing_a_row_by_its_index_still_works(synced, client_of, helpdesk_user):
    client = client_of(helpdesk_user)
    url = reverse("disks:helpdesk-disk-add", args=[desktop_of(synced, "alice.wong")])
    response = client.post(url, rows("remove-row-1"))
    assert response.context["formset"].total_form_count() == 1


def test_the_portal_form_takes_the_superscript_too(synced, client_of, end_user):
    client = client_of(end_user)
    url = reverse("disks:portal-disk-add", args=[desktop_of(synced, "alice.wong")])
    assert client.post(url, rows("remove-row-²")).status_code == 200


EDGE_DATES = [
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"date_to": "0001-01-01"},
    {"date_from": "9999-12-31"},
    {"date_from": "0001-01-05", "date_to": "0001-01-05"},
]


@pytest.fixture
def history():
    for n in range(3):
        audit_event_record(
            action="inventory.synced", outcome="success", actor=SYSTEM, details={"n": n}
        )


@pytest.mark.parametrize("query", EDGE_DATES)
@pytest.mark.parametrize("page", ["list", "rows", "results", "export"])
def test_audit_pages_take_the_ends_of_the_calendar(client_of, auditor, history, query, page):
    client = client_of(auditor)
    url = reverse("disks:audit-event-export" if page == "export" else "disks:audit-event-list")
    headers = {}
    if page in ("rows", "results"):
        headers = {
            "HTTP_HX_REQUEST": "true",
            "HTTP_HX_TARGET": "event-rows" if page == "rows" else "results",
        }
    response = client.get(url, query, **headers)
    assert response.status_code in (200, 400)
    if page == "export":
        b"".join(response.streaming_content)


def test_the_whole_calendar_still_finds_the_events(client_of, auditor, history):
    client = client_of(auditor)
    url = reverse("disks:audit-event-export")
    response = client.get(url, {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    # The lines saying which filters made the file, a blank line, the header, the 3 events.
    rows = [line for line in lines if line and not line.startswith("#")]
    assert len(rows) == 1 + 3


# NUL characters: PostgreSQL refuses them in any string, so they must never reach a query.

NUL_URLS = [
    "/desktops/%00/",
    "/desktops/?q=%00",
    "/requests/?desktop=%00",
    "/requests/?requester=a%00",
    "/audit/?actor=%00",
    "/portal/desktops/%00/disks/add/",
    "/%00",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_anywhere_in_the_url_is_a_400(client_of, helpdesk_end_user_auditor, url):
    client = client_of(helpdesk_end_user_auditor)
    assert client.get(url).status_code == 400


def test_a_nul_in_a_posted_field_is_a_400(client_of, helpdesk_user):
    client = client_of(helpdesk_user)
    url = reverse("disks:helpdesk-approval-reject", args=[1])
    assert client.post(url, {"reason": "no\x00"}).status_code == 400


def test_a_nul_in_the_user_agent_of_a_failed_login_is_a_400(client, helpdesk_user):
    response = client.post(
        reverse("login"),
        {"username": "hana.helpdesk", "password": "wrong"},
        HTTP_USER_AGENT="curl\x00",
    )
    assert response.status_code == 400


@pytest.fixture
def helpdesk_end_user_auditor(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="all.three", password="pw-all-1")
    for name in ("helpdesk", "end_user", "auditor"):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user
