"""Access beyond the generated matrix (tests/security/test_access_matrix.py, which checks
every URL for every kind of person): forged ids and forged POSTs, where each audience lands,
how the audience check queries, and the pages open to everyone signed in.
"""

import uuid

import pytest
from django.urls import reverse

from disks.models import Batch, Desktop, DiskRequest

pytestmark = pytest.mark.django_db


# One person of each kind (tests/conftest.py `world`).
PEOPLE = ("anonymous", "alice", "bob", "helpdesk", "auditor", "nobody")


def as_person(client, world, who):
    person = world["people"][who]
    if person is not None:
        client.force_login(person)
    return client


def test_bob_cannot_reach_alices_desktop_or_request_by_any_id(client, world):
    as_person(client, world, "bob")
    for url in (
        reverse("disks:portal-disk-add", args=[world["desktop"]]),
        reverse("disks:portal-disk-add", args=["no-such-desktop"]),
        reverse("disks:portal-disk-expand", args=[world["disk_desktop"], world["disk"]]),
        reverse("disks:portal-disk-expand", args=[world["disk_desktop"], "no-such-disk"]),
        reverse("disks:portal-request-detail", args=[world["running"].pk]),
        reverse("disks:portal-request-status", args=[world["pending"].pk]),
        reverse("disks:portal-request-detail", args=[999999]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.get(reverse("disks:portal-disk-add", args=[world["bob_desktop"]])).status_code == 200
    )


def forged_add():
    return {
        "action": "submit",
        "idempotency_key": str(uuid.uuid4()),
        "enterprise_project_id": "0",
        "disks-TOTAL_FORMS": "1",
        "disks-INITIAL_FORMS": "0",
        "disks-0-type": "SAS",
        "disks-0-size": "10",
    }


def forged_expand():
    return {"action": "submit", "idempotency_key": str(uuid.uuid4()), "new_size": "500"}


def forged_delete(world):
    name = Desktop.objects.get(desktop_id=world["disk_desktop"]).computer_name
    return {"idempotency_key": str(uuid.uuid4()), "volume": [world["disk"]], "confirmation": name}


def test_forged_posts_change_nothing(client, world, synced):
    before = DiskRequest.objects.count()
    as_person(client, world, "bob")
    url = reverse("disks:portal-disk-add", args=[world["desktop"]])
    assert client.post(url, forged_add()).status_code == 404
    portal_expand = reverse("disks:portal-disk-expand", args=[world["disk_desktop"], world["disk"]])
    assert client.post(portal_expand, forged_expand()).status_code == 404
    for who, expected in (("alice", 403), ("auditor", 403), ("bob", 403), ("nobody", 403)):
        client.logout()
        as_person(client, world, who)
        approve = reverse("disks:helpdesk-approval-approve", args=[world["pending"].pk])
        approve_many = reverse("disks:helpdesk-approval-approve-many")
        reject = reverse("disks:helpdesk-approval-reject", args=[world["pending"].pk])
        add = reverse("disks:helpdesk-disk-add", args=[world["desktop"]])
        sync = reverse("disks:helpdesk-desktop-sync")
        expand = reverse("disks:helpdesk-disk-expand", args=[world["disk_desktop"], world["disk"]])
        delete = reverse("disks:helpdesk-disk-delete", args=[world["disk_desktop"]])
        batch_new = reverse("disks:helpdesk-batch-new")
        batch_detail = reverse("disks:helpdesk-batch-detail", args=[world["batch"].pk])
        for target, data in (
            (approve, {}),
            (approve_many, {"pk": [world["pending"].pk]}),
            (reject, {"reason": "x"}),
            (add, forged_add()),
            (sync, {}),
            (expand, forged_expand()),
            (delete, forged_delete(world)),
            (batch_new, {**forged_add(), "action": "preview", "desktop": world["desktop"]}),
            (batch_detail, {"action": "submit"}),
        ):
            assert client.post(target, data).status_code == expected, (who, target)
    client.logout()
    assert client.post(url, forged_add()).status_code == 302  # to login
    assert DiskRequest.objects.count() == before
    world["pending"].refresh_from_db()
    assert world["pending"].status == DiskRequest.Status.PENDING_APPROVAL
    assert not synced.requests_log("AddDesktopVolumes")[1:], "only the fixture's own submit"
    assert not synced.requests_log("ExpandDesktopVolume")
    assert not synced.requests_log("DeleteDesktopVolumes")
    assert not synced.requests_log("AddVolumes")
    world["batch"].refresh_from_db()
    assert world["batch"].status == Batch.Status.PREVIEWED


def test_each_audience_lands_on_its_home(client, world):
    homes = {
        "alice": reverse("disks:portal-home"),
        "helpdesk": reverse("disks:helpdesk-home"),
        "auditor": reverse("disks:audit-event-list"),
    }
    for who, home in homes.items():
        as_person(client, world, who)
        assert client.get("/")["Location"] == home
    as_person(client, world, "nobody")
    page = client.get("/")
    assert page.status_code == 200
    assert b"not yet part of a team" in page.content


def test_the_audiences_cost_one_query_with_names_as_parameters(client, helpdesk_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(helpdesk_user)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("disks:helpdesk-request-list"))
    group_queries = [q["sql"] for q in queries.captured_queries if "auth_user_groups" in q["sql"]]
    assert len(group_queries) == 1, group_queries
    assert "'helpdesk'" in group_queries[0] and "'end_user'" in group_queries[0]


def test_group_changes_apply_from_the_next_request(client, helpdesk_user):
    from django.contrib.auth.models import Group

    client.force_login(helpdesk_user)
    page_url = reverse("disks:helpdesk-request-list")
    assert client.get(page_url).status_code == 200
    helpdesk_user.groups.remove(Group.objects.get(name="helpdesk"))
    assert client.get(page_url).status_code == 403
    helpdesk_user.groups.add(Group.objects.get(name="auditor"))
    assert client.get(reverse("disks:audit-event-list")).status_code == 200


def test_superuser_counts_as_helpdesk_and_auditor_not_end_user(client, django_user_model):
    admin = django_user_model.objects.create_superuser("ada.admin", password="x")
    client.force_login(admin)
    assert client.get(reverse("disks:helpdesk-request-list")).status_code == 200
    assert client.get(reverse("disks:audit-event-list")).status_code == 200
    assert client.get(reverse("disks:portal-home")).status_code == 403


def test_a_deactivated_user_is_signed_out(client, helpdesk_user):
    client.force_login(helpdesk_user)
    helpdesk_user.is_active = False
    helpdesk_user.save()
    page = client.get(reverse("disks:helpdesk-request-list"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))


EVERYONE_SIGNED_IN = [("disks:preferences", lambda w: [])]


@pytest.mark.parametrize("who", PEOPLE)
def test_preferences_are_for_every_signed_in_person(client, world, who):
    as_person(client, world, who)
    for url_name, args in EVERYONE_SIGNED_IN:
        response = client.get(reverse(url_name, args=args(world)))
        assert response.status_code == (302 if who == "anonymous" else 200), (who, url_name)
    switch = client.post(reverse("disks:language-set"), {"language": "en", "next": "/"})
    assert switch.status_code == 302
    if who == "anonymous":
        assert switch["Location"].startswith("/accounts/login/")


def test_the_javascript_catalog_is_served_to_anyone(client):
    response = client.get(reverse("javascript-catalog"))
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]


# Pages of one's own account, and the API's docs page: every audience, each for themselves.
ACCOUNT_PAGES = [
    ("disks:api-token-list", lambda w: []),
    ("disks:api-docs", lambda w: []),
]
ACCOUNT_EXPECTED = {
    "anonymous": {"disks:api-token-list": 302, "disks:api-docs": 302},
    "alice": {"disks:api-token-list": 200, "disks:api-docs": 200},
    "bob": {"disks:api-token-list": 200, "disks:api-docs": 200},
    "helpdesk": {"disks:api-token-list": 200, "disks:api-docs": 200},
    "auditor": {"disks:api-token-list": 200, "disks:api-docs": 200},
    "nobody": {"disks:api-token-list": 403, "disks:api-docs": 200},
}


@pytest.mark.parametrize("who", list(ACCOUNT_EXPECTED))
def test_account_pages_answer_each_audience_as_they_should(client, world, who):
    as_person(client, world, who)
    for url_name, args in ACCOUNT_PAGES:
        response = client.get(reverse(url_name, args=args(world)))
        assert response.status_code == ACCOUNT_EXPECTED[who][url_name], (who, url_name)


def test_nobody_revokes_anyone_elses_api_token(client, world):
    from disks.models import ApiToken
    from tests.api.helpers import make_token

    make_token(world["people"]["helpdesk"], "helpdesk")
    token = ApiToken.objects.get()
    for who in ("alice", "bob", "auditor", "nobody"):
        as_person(client, world, who)
        response = client.post(reverse("disks:api-token-revoke", args=[token.pk]))
        assert response.status_code == 404, who
    client.logout()
    assert client.post(reverse("disks:api-token-revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


def test_webhook_pages_are_for_admins_only(client, world, django_user_model):
    from disks.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        name="hook", url="https://hooks.example.com/x", events=[], secret_salt="s"
    )
    page = reverse("disks:webhook-endpoint-detail", args=[endpoint.pk])
    resend = reverse("disks:webhook-delivery-resend", args=[999])
    for who in ("alice", "bob", "helpdesk", "auditor", "nobody"):
        as_person(client, world, who)
        assert client.get(page).status_code == 403, who
        assert client.post(resend).status_code == 403, who
    client.logout()
    assert client.get(page).status_code == 302
    admin = django_user_model.objects.create_superuser("ada.admin", password="x-123456789")
    client.force_login(admin)
    assert client.get(page).status_code == 200
    assert client.post(resend).status_code == 404


@pytest.mark.parametrize("who", PEOPLE)
def test_the_operations_page_is_for_helpdesk_and_auditors(client, world, who):
    as_person(client, world, who)
    expected = {"anonymous": 302, "helpdesk": 200, "auditor": 200}.get(who, 403)
    assert client.get(reverse("disks:insights")).status_code == expected


# Probes and metrics: no login, the same answer for everyone; metrics need the token or an
# allowed address even for staff (a session is not a scraper's credential).
OPERATIONS_PAGES = [("healthz", 200), ("readyz", 200), ("metrics", 403)]


@pytest.mark.parametrize("who", PEOPLE)
def test_probes_and_metrics_answer_everyone_alike(client, world, who, settings):
    settings.METRICS_TOKEN = "metrics-token-0123456789abcdef"
    settings.WORKSPACE_ENDPOINT = "http://127.0.0.1:1"
    as_person(client, world, who)
    for url_name, expected in OPERATIONS_PAGES:
        assert client.get(reverse(url_name)).status_code == expected, (who, url_name)
