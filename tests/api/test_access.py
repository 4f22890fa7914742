"""Who may call what: every endpoint for every persona and token scope.

The same rules as the pages: helpdesk sees everything, and alone deletes disks and runs
batches; end users only their own desktops and requests (404 for anyone else's), and
expand only their own disks; auditors only the audit history; read-only tokens never
write; no token (or a bad one) is a 401; a user in no group can do nothing.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from disks import selectors
from disks.client import VolumeSpec
from disks.models import ApiToken, Desktop
from disks.services.api_tokens import token_hash
from disks.services.approvals import disk_request_hold_for_approval
from disks.services.batches import batch_preview_create
from disks.services.requests import disk_request_submit
from tests.api.helpers import ApiClient, make_token
from tests.factories import desktop_of, helpdesk_actor, portal_actor, seeded_desktop

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(synced, end_user, other_end_user, helpdesk_user, auditor, no_group_user):
    """Three desktops of Alice: one with a running request, one with two waiting, one free;
    her desktop with data disks, one of Bob's with a disk, and a previewed batch."""
    busy = seeded_desktop(synced, user_name="alice.wong", task_status="creatingWksSnapshot")
    synced.patch_desktop(busy, task_status="")
    taken: set[str] = set()

    def alice_desktop() -> str:
        desktop_id = desktop_of(synced, "alice.wong", exclude=taken)
        taken.add(desktop_id)
        return desktop_id

    running_desktop, held_desktop, free_desktop = (alice_desktop() for _ in range(3))

    def held(desktop_id):
        return disk_request_hold_for_approval(
            desktop_id=desktop_id,
            volumes=[VolumeSpec("SAS", 500)],
            actor=portal_actor(end_user),
            idempotency_key=uuid.uuid4(),
        )

    running = disk_request_submit(
        desktop_id=running_desktop,
        volumes=[VolumeSpec("SAS", 20)],
        actor=portal_actor(end_user),
        idempotency_key=uuid.uuid4(),
    )
    with_disks = seeded_desktop(synced, user_name="alice.wong", data_disks=10)
    bobs_with_disk = seeded_desktop(synced, user_name="bob.martin", data_disks=1)
    batch = batch_preview_create(
        desktop_ids=[desktop_of(synced, "bob.martin")],
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(helpdesk_user),
        idempotency_key=uuid.uuid4(),
    )
    return {
        "with_disks": with_disks,
        "volume": Desktop.objects.get(desktop_id=with_disks).sorted_data_volumes[0]["volume_id"],
        "bobs_with_disk": bobs_with_disk,
        "bobs_volume": Desktop.objects.get(desktop_id=bobs_with_disk).data_volumes[0]["volume_id"],
        "batch": batch.pk,
        "batch_desktop": desktop_of(synced, "bob.martin", exclude={bobs_with_disk}),
        "desktop": running_desktop,
        "free_desktop": free_desktop,
        "running": running.pk,
        "to_approve": held(held_desktop).pk,
        "to_reject": held(held_desktop).pk,
        "people": {
            "alice": end_user,
            "bob": other_end_user,
            "helpdesk": helpdesk_user,
            "auditor": auditor,
            "nobody": no_group_user,
        },
    }


def calls(w):
    """(name, method, path, body) of every endpoint, on Alice's objects."""
    return [
        ("desktops", "get", "/desktops", None),
        ("desktop", "get", f"/desktops/{w['desktop']}", None),
        ("disk-types", "get", "/disk-types", None),
        ("requests", "get", "/disk-requests", None),
        ("request", "get", f"/disk-requests/{w['running']}", None),
        ("audit", "get", "/audit-events", None),
        (
            "create",
            "post",
            f"/desktops/{w['free_desktop']}/disk-requests",
            {"volumes": [{"type": "SAS", "size": 20}]},
        ),
        ("approve", "post", f"/disk-requests/{w['to_approve']}/approve", {}),
        ("reject", "post", f"/disk-requests/{w['to_reject']}/reject", {"reason": "Too big."}),
        (
            "expand",
            "post",
            f"/desktops/{w['with_disks']}/volumes/{w['volume']}/expand",
            {"new_size": 1000},
        ),
        (
            "delete",
            "post",
            f"/desktops/{w['bobs_with_disk']}/volume-deletions",
            {"volume_ids": [w["bobs_volume"]]},
        ),
        (
            "batch-create",
            "post",
            "/batches",
            {"desktop_ids": [w["batch_desktop"]], "volumes": [{"type": "SAS", "size": 20}]},
        ),
        ("batch-submit", "post", f"/batches/{w['batch']}/submit", {}),
        ("batch", "get", f"/batches/{w['batch']}", None),
    ]


NEW_ENDPOINTS = ("expand", "delete", "batch-create", "batch-submit", "batch")


ALL = ("desktops", "desktop", "disk-types", "requests", "request", "audit", "create")
ALL += ("approve", "reject", *NEW_ENDPOINTS)
# persona (person, token scope) -> expected status per call, in the order of calls().
EXPECTED = {
    ("anonymous", None): dict.fromkeys(ALL, 401),
    ("stranger", "bad token"): dict.fromkeys(ALL, 401),
    ("alice", "end_user"): {
        "desktops": 200, "desktop": 200, "disk-types": 200, "requests": 200, "request": 200,
        "audit": 403, "create": 201, "approve": 403, "reject": 403,
        "expand": 201, "delete": 403, "batch-create": 403, "batch-submit": 403, "batch": 403,
    },
    ("alice", "end_user:read"): {
        "desktops": 200, "desktop": 200, "disk-types": 200, "requests": 200, "request": 200,
        "audit": 403, "create": 403, "approve": 403, "reject": 403,
        "expand": 403, "delete": 403, "batch-create": 403, "batch-submit": 403, "batch": 403,
    },
    ("bob", "end_user"): {
        "desktops": 200, "desktop": 404, "disk-types": 200, "requests": 200, "request": 404,
        "audit": 403, "create": 404, "approve": 403, "reject": 403,
        "expand": 404, "delete": 403, "batch-create": 403, "batch-submit": 403, "batch": 403,
    },
    ("helpdesk", "helpdesk"): {
        "desktops": 200, "desktop": 200, "disk-types": 200, "requests": 200, "request": 200,
        "audit": 403, "create": 201, "approve": 200, "reject": 200,
        "expand": 201, "delete": 201, "batch-create": 201, "batch-submit": 200, "batch": 200,
    },
    ("helpdesk", "helpdesk:read"): {
        "desktops": 200, "desktop": 200, "disk-types": 200, "requests": 200, "request": 200,
        "audit": 403, "create": 403, "approve": 403, "reject": 403,
        "expand": 403, "delete": 403, "batch-create": 403, "batch-submit": 403, "batch": 200,
    },
    # A signed-in browser (the docs page): the user's own audiences, CSRF checked on writes
    # (tested below; Django's test client passes it here).
    ("helpdesk", "session"): {
        "desktops": 200, "desktop": 200, "disk-types": 200, "requests": 200, "request": 200,
        "audit": 403, "create": 201, "approve": 200, "reject": 200,
        "expand": 201, "delete": 201, "batch-create": 201, "batch-submit": 200, "batch": 200,
    },
    ("alice", "session"): {
        "desktops": 200, "desktop": 200, "disk-types": 200, "requests": 200, "request": 200,
        "audit": 403, "create": 201, "approve": 403, "reject": 403,
        "expand": 201, "delete": 403, "batch-create": 403, "batch-submit": 403, "batch": 403,
    },
    ("auditor", "session"): {**dict.fromkeys(ALL, 403), "audit": 200},
    # Someone in no group, whatever the token says (made by hand: the service refuses).
    ("nobody", "helpdesk"): dict.fromkeys(ALL, 403),
    ("auditor", "auditor"): {**dict.fromkeys(ALL, 403), "audit": 200},
}  # fmt: skip


@pytest.mark.parametrize(("person", "scope"), list(EXPECTED))
def test_every_endpoint_answers_each_persona_as_the_pages_would(world, person, scope):
    client = _client_for(world, person, scope)
    answers = {}
    for name, method, path, body in calls(world):
        response = client.get(path) if method == "get" else client.post(path, body)
        answers[name] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", name
    assert answers == EXPECTED[(person, scope)]


def _client_for(world, person: str, scope: str | None) -> ApiClient:
    if scope is None:
        return ApiClient()
    if scope == "bad token":
        return ApiClient("wda_" + "x" * 43)
    user = world["people"][person]
    if scope == "session":
        client = ApiClient()
        client.client.force_login(user)
        return client
    if person == "nobody":
        token = "wda_" + "n" * 43
        ApiToken.objects.create(
            user=user,
            name="by hand",
            scope=scope,
            key_hash=token_hash(token),
            expires_at=timezone.now() + timedelta(days=1),
        )
        return ApiClient(token)
    return ApiClient(make_token(user, scope))


def test_a_user_who_left_the_scopes_group_can_do_nothing_with_the_token(world):
    token = make_token(world["people"]["helpdesk"], "helpdesk")
    world["people"]["helpdesk"].groups.clear()
    client = ApiClient(token)
    assert {client.get(path).status_code for _n, m, path, _b in calls(world) if m == "get"} == {403}


def test_end_users_list_only_their_own_desktops_and_requests(world):
    bob = ApiClient(make_token(world["people"]["bob"], "end_user"))
    desktops = {d["desktop_id"] for d in bob.get("/desktops").json()["items"]}
    portal = selectors.desktop_list_for_user(user=world["people"]["bob"])
    assert desktops == {desktop.desktop_id for desktop in portal}
    assert world["desktop"] not in desktops
    assert bob.get("/disk-requests").json()["items"] == []
    alice = ApiClient(make_token(world["people"]["alice"], "end_user"))
    mine = {item["id"] for item in alice.get("/disk-requests").json()["items"]}
    assert mine == {world["running"], world["to_approve"], world["to_reject"]}


def test_a_browser_session_may_read_but_not_write_without_csrf(world, client):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["people"]["helpdesk"])
    assert browser.get("/api/v1/desktops").status_code == 200
    response = browser.post(
        f"/api/v1/disk-requests/{world['to_approve']}/approve", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
