"""Expanding and deleting disks through the API: the pages' rules and messages, idempotency,
problem details, four eyes on a deletion, and a client that expands and polls to the end."""

import json
import time

import pytest
from django.core.management import call_command

from disks.models import AuditEvent, Desktop, DiskRequest
from tests.api.helpers import ApiClient, make_token
from tests.factories import seeded_desktop

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_helpdesk(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="ivo.helpdesk", password="pw-ivo-1")
    user.groups.add(Group.objects.get_or_create(name="helpdesk")[0])
    return user


def disk_of(sim, user_name: str, data_disks: int) -> tuple[str, dict]:
    """A desktop of `user_name` with that many data disks, and its first disk (as synced)."""
    desktop_id = seeded_desktop(sim, user_name=user_name, data_disks=data_disks)
    return desktop_id, Desktop.objects.get(desktop_id=desktop_id).sorted_data_volumes[0]


def expand_path(desktop_id: str, volume_id: str) -> str:
    return f"/desktops/{desktop_id}/volumes/{volume_id}/expand"


# Expand ---------------------------------------------------------------------------------------


def test_expand_answers_201_with_a_request_of_kind_expand(helpdesk_api, synced):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    response = helpdesk_api.post(
        expand_path(desktop_id, disk["volume_id"]), {"new_size": disk["size"] + 20}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "expand" and body["status"] == "running" and body["job_id"]
    assert body["volumes"][0]["volume_id"] == disk["volume_id"]
    assert body["volumes"][0]["new_size"] == disk["size"] + 20
    assert len(synced.requests_log("ExpandDesktopVolume")) == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.REQUEST_SUBMITTED)
    assert event.channel == "api"


def test_expand_with_the_same_key_is_the_same_request_and_another_body_is_422(helpdesk_api, synced):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    path = expand_path(desktop_id, disk["volume_id"])
    first = helpdesk_api.post(path, {"new_size": disk["size"] + 20}, key="grow-1")
    again = helpdesk_api.post(path, {"new_size": disk["size"] + 20}, key="grow-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len(synced.requests_log("ExpandDesktopVolume")) == 1
    other = helpdesk_api.post(path, {"new_size": disk["size"] + 40}, key="grow-1")
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["type"].endswith(":idempotency-key-reused")
    assert DiskRequest.objects.count() == 1


def test_expand_refusals_are_problems_with_the_forms_messages(helpdesk_api, alice_api, synced):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    unknown = helpdesk_api.post(expand_path(desktop_id, "no-such-volume"), {"new_size": 200})
    assert unknown.status_code == 404
    assert unknown["Content-Type"] == "application/problem+json"
    smaller = helpdesk_api.post(expand_path(desktop_id, disk["volume_id"]), {"new_size": 10})
    assert smaller.status_code == 422
    problem = smaller.json()
    assert problem["type"].endswith(":refused")
    assert "disks only grow" in problem["detail"]
    assert problem["errors"][0]["field"] == "new_size"
    not_hers = alice_api.post(expand_path(desktop_id, disk["volume_id"]), {"new_size": 200})
    assert not_hers.status_code == 404
    wrong_shape = helpdesk_api.post(expand_path(desktop_id, disk["volume_id"]), {"size": 200})
    assert wrong_shape.status_code == 400
    assert DiskRequest.objects.count() == 0


def test_expand_over_the_gigabyte_quota_is_refused_with_the_numbers(helpdesk_api, synced):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    used = next(
        r["used"] for r in synced.quotas()["quotas"]["resources"] if r["type"] == "volume_gigabytes"
    )
    synced.set_quotas(volume_gigabytes=used + 10)
    response = helpdesk_api.post(
        expand_path(desktop_id, disk["volume_id"]), {"new_size": disk["size"] + 100}
    )
    assert response.status_code == 422
    assert "quota has room for 10 GB more; this adds 100 GB" in response.json()["detail"]
    assert not synced.requests_log("ExpandDesktopVolume")


def test_end_users_expand_their_own_disks_within_the_portal_policy(alice_api, synced):
    desktop_id, disk = disk_of(synced, "alice.wong", 10)
    path = expand_path(desktop_id, disk["volume_id"])
    too_big = alice_api.post(path, {"new_size": 2000})
    assert too_big.status_code == 422
    assert "Disks grow here to at most 1000 GB" in too_big.json()["detail"]
    small = alice_api.post(path, {"new_size": disk["size"] + 20})
    assert small.status_code == 201 and small.json()["status"] == "running"
    assert small.json()["audience"] == "portal"
    busy = alice_api.post(path, {"new_size": disk["size"] + 40})
    assert busy.status_code == 409, "one request in flight per desktop"


def test_an_end_users_large_expand_waits_for_approval(alice_api, synced):
    desktop_id, disk = disk_of(synced, "alice.wong", 10)
    held = alice_api.post(expand_path(desktop_id, disk["volume_id"]), {"new_size": 1000})
    assert held.status_code == 201 and held.json()["status"] == "pending_approval"
    assert not synced.requests_log("ExpandDesktopVolume")


def test_a_cloud_refusal_of_an_expand_carries_its_code_and_request_id(helpdesk_api, synced):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    synced.inject_fault(
        "ExpandDesktopVolume",
        "status",
        status=400,
        body={"error_code": "WKS.0022", "error_msg": "The disk cannot grow now."},
    )
    path = expand_path(desktop_id, disk["volume_id"])
    response = helpdesk_api.post(path, {"new_size": disk["size"] + 20}, key="refused")
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith(":cloud-refused")
    assert problem["error_code"] == "WKS.0022" and problem["api_request_id"]
    assert DiskRequest.objects.get(pk=problem["disk_request"]).kind == "expand"
    again = helpdesk_api.post(path, {"new_size": disk["size"] + 20}, key="refused")
    assert again.json() == problem, "the same answer"


@pytest.mark.django_db(transaction=True)
@pytest.mark.simulator(speed=20)
def test_a_client_expands_and_polls_until_done(helpdesk_user, synced, settings):
    """What a script does: expand with a key, then poll the request until it is terminal."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    api = ApiClient(make_token(helpdesk_user, "helpdesk"))
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    new_size = disk["size"] + 20
    submitted = api.post(
        expand_path(desktop_id, disk["volume_id"]), {"new_size": new_size}, key="expand-flow"
    )
    assert submitted.status_code == 201
    url = f"/disk-requests/{submitted.json()['id']}"
    deadline = time.monotonic() + 30
    while not (current := api.get(url).json())["is_terminal"]:
        assert time.monotonic() < deadline, current
        call_command("db_worker", batch=True, interval=0, verbosity=0)
        time.sleep(0.2)
    assert current["status"] == "succeeded", json.dumps(current)
    assert current["kind"] == "expand" and current["progress"] == 100
    disks = api.get(f"/desktops/{desktop_id}").json()["data_volumes"]
    assert {d["volume_id"]: d["size"] for d in disks}[disk["volume_id"]] == new_size


# Delete ---------------------------------------------------------------------------------------


def deletion_path(desktop_id: str) -> str:
    return f"/desktops/{desktop_id}/volume-deletions"


def test_a_deletion_waits_for_a_second_helpdesk_member(
    helpdesk_user, second_helpdesk, helpdesk_api, synced
):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    asked = helpdesk_api.post(
        deletion_path(desktop_id), {"volume_ids": [disk["volume_id"]]}, key="del-1"
    )
    assert asked.status_code == 201
    body = asked.json()
    assert body["kind"] == "delete" and body["status"] == "pending_approval"
    assert not synced.requests_log("DeleteDesktopVolumes")
    replay = helpdesk_api.post(
        deletion_path(desktop_id), {"volume_ids": [disk["volume_id"]]}, key="del-1"
    )
    assert replay.status_code == 201 and replay.json()["id"] == body["id"]
    own = helpdesk_api.post(f"/disk-requests/{body['id']}/approve")
    assert own.status_code == 403
    assert own["Content-Type"] == "application/problem+json"
    second = ApiClient(make_token(second_helpdesk, "helpdesk"))
    approved = second.post(f"/disk-requests/{body['id']}/approve", key="approve-del")
    assert approved.status_code == 200 and approved.json()["status"] == "running"
    assert approved.json()["decided_by"] == "ivo.helpdesk"
    assert len(synced.requests_log("DeleteDesktopVolumes")) == 1


def test_deletion_refusals_are_problems_with_the_services_messages(helpdesk_api, synced):
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    unknown = helpdesk_api.post(deletion_path(desktop_id), {"volume_ids": ["no-such-volume"]})
    assert unknown.status_code == 422
    assert unknown.json()["type"].endswith(":refused")
    assert "no-such-volume" in unknown.json()["detail"]
    empty = helpdesk_api.post(deletion_path(desktop_id), {"volume_ids": []})
    assert empty.status_code == 400
    nowhere = helpdesk_api.post(deletion_path("no-such-desktop"), {"volume_ids": ["v"]})
    assert nowhere.status_code == 404
    path = deletion_path(desktop_id)
    assert helpdesk_api.post(path, {"volume_ids": [disk["volume_id"]]}, key="k").status_code == 201
    reused = helpdesk_api.post(path, {"volume_ids": [disk["volume_id"], "x"]}, key="k")
    assert reused.status_code == 422
    assert reused.json()["type"].endswith(":idempotency-key-reused")
    assert DiskRequest.objects.count() == 1


def test_without_four_eyes_a_deletion_is_sent_at_once(helpdesk_api, synced, settings):
    settings.DELETE_REQUIRES_APPROVAL = False
    desktop_id, disk = disk_of(synced, "bob.martin", 1)
    sent = helpdesk_api.post(deletion_path(desktop_id), {"volume_ids": [disk["volume_id"]]})
    assert sent.status_code == 201 and sent.json()["status"] == "running"
    assert len(synced.requests_log("DeleteDesktopVolumes")) == 1


def test_end_users_never_delete(alice_api, synced):
    desktop_id, disk = disk_of(synced, "alice.wong", 10)
    refused = alice_api.post(deletion_path(desktop_id), {"volume_ids": [disk["volume_id"]]})
    assert refused.status_code == 403
    assert DiskRequest.objects.count() == 0
