"""Submitting and deciding through the API: the forms' rules and messages, idempotency,
problem details, and a client that submits and polls until the job is done."""

import json
import time

import pytest
from django.core.management import call_command

from disks.models import ApiIdempotencyKey, AuditEvent, DiskRequest
from tests.api.helpers import ApiClient, make_token
from tests.factories import desktop_of

pytestmark = pytest.mark.django_db

SAS_20 = {"volumes": [{"type": "SAS", "size": 20}]}


def test_submit_answers_201_with_the_request(helpdesk_api, synced):
    desktop = desktop_of(synced, "alice.wong")
    response = helpdesk_api.post(f"/desktops/{desktop}/disk-requests", SAS_20, key="k1")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "running" and body["job_id"]
    assert body["kind"] == "add" and body["desktop_id"] == desktop
    assert body["volumes"] == [{"type": "SAS", "size": 20}]
    detail = helpdesk_api.get(f"/disk-requests/{body['id']}").json()
    assert detail["job_id"] == body["job_id"]


def test_the_same_key_and_body_is_the_same_request(helpdesk_api, synced):
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    first = helpdesk_api.post(path, SAS_20, key="retry-me")
    again = helpdesk_api.post(path, SAS_20, key="retry-me")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert DiskRequest.objects.count() == 1
    assert len(synced.requests_log("AddDesktopVolumes")) == 1


def test_the_same_key_with_another_body_is_refused(helpdesk_api, synced):
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    assert helpdesk_api.post(path, SAS_20, key="k").status_code == 201
    other = helpdesk_api.post(path, {"volumes": [{"type": "SAS", "size": 30}]}, key="k")
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["type"].endswith(":idempotency-key-reused")
    assert DiskRequest.objects.count() == 1


def test_keys_belong_to_their_user(helpdesk_api, synced, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user("hugo.helpdesk", password="x-123456789")
    other.groups.add(Group.objects.get(name="helpdesk"))
    hugo = ApiClient(make_token(other, "helpdesk"))
    alice_desktops = [desktop_of(synced, "alice.wong")]
    alice_desktops.append(desktop_of(synced, "alice.wong", exclude=set(alice_desktops)))
    first = helpdesk_api.post(f"/desktops/{alice_desktops[0]}/disk-requests", SAS_20, key="k")
    second = hugo.post(f"/desktops/{alice_desktops[1]}/disk-requests", SAS_20, key="k")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert ApiIdempotencyKey.objects.count() == 2


def test_a_body_of_the_wrong_shape_is_a_400_with_field_errors(helpdesk_api, synced):
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    response = helpdesk_api.post(path, {"volumes": [{"type": "SAS", "size": "big"}]})
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith(":invalid-request")
    assert problem["errors"][0]["field"] == "volumes.0.size"
    assert helpdesk_api.post(path, {"volumes": []}).status_code == 400
    assert (
        helpdesk_api.post(path, {"volumes": SAS_20["volumes"], "kind": "melt"}).status_code == 400
    )


def test_the_services_refusal_is_a_422_with_the_forms_message(helpdesk_api, synced):
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    response = helpdesk_api.post(path, {"volumes": [{"type": "SAS", "size": 15}]})
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Request refused"
    assert problem["errors"] == [
        {
            "field": None,
            "message": "Disk 1: Disk sizes go in steps of 10 GB: choose 10 or 20.",
        }
    ]
    assert problem["detail"] == problem["errors"][0]["message"]


def test_a_desktop_with_a_request_in_flight_is_a_409(helpdesk_api, synced):
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    assert helpdesk_api.post(path, SAS_20).status_code == 201
    response = helpdesk_api.post(path, SAS_20)
    assert response.status_code == 409
    assert "already adding disks to this desktop" in response.json()["detail"]


def test_a_refusal_by_the_cloud_carries_its_code_and_request_id(helpdesk_api, synced):
    # The cloud refuses (the dashboard's own checks, the quota's included, passed).
    synced.inject_fault(
        "AddDesktopVolumes",
        "status",
        status=400,
        body={"error_code": "WKS.0021", "error_msg": "Too many data disks."},
    )
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    response = helpdesk_api.post(path, SAS_20, key="quota")
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith(":cloud-refused")
    assert problem["error_code"] and problem["api_request_id"]
    failed = DiskRequest.objects.get(pk=problem["disk_request"])
    assert failed.status == "failed" and failed.error_code == problem["error_code"]
    assert helpdesk_api.post(path, SAS_20, key="quota").json() == problem, "the same answer"


def test_end_users_follow_the_portal_policy_and_wait_for_approval(alice_api, synced, settings):
    path = f"/desktops/{desktop_of(synced, 'alice.wong')}/disk-requests"
    too_big = alice_api.post(path, {"volumes": [{"type": "SAS", "size": 2000}]})
    assert too_big.status_code == 422
    assert "self-service disks are at most 1000 GB" in too_big.json()["detail"]
    held = alice_api.post(path, {"volumes": [{"type": "SAS", "size": 500}]}, key="big")
    assert held.status_code == 201
    assert held.json()["status"] == "pending_approval"
    assert not synced.requests_log("AddDesktopVolumes")


def test_approve_and_reject_with_four_eyes_and_idempotency(helpdesk_api, helpdesk_end_user, synced):
    own = ApiClient(make_token(helpdesk_end_user, "end_user"))
    desktop = desktop_of(synced, "alice.wong")
    held = own.post(
        f"/desktops/{desktop}/disk-requests", {"volumes": [{"type": "SAS", "size": 500}]}
    )
    pk = held.json()["id"]
    as_her_helpdesk = ApiClient(make_token(helpdesk_end_user, "helpdesk", name="hd"))
    self_approval = as_her_helpdesk.post(f"/disk-requests/{pk}/approve")
    assert self_approval.status_code == 403
    assert "another helpdesk member must approve it" in self_approval.json()["detail"]
    approved = helpdesk_api.post(f"/disk-requests/{pk}/approve", key="decide")
    assert approved.status_code == 200 and approved.json()["status"] == "running"
    assert approved.json()["decided_by"] == "hana.helpdesk"
    again = helpdesk_api.post(f"/disk-requests/{pk}/approve", key="decide")
    assert again.status_code == 200 and again.json()["id"] == pk, "a retry, not a new decision"
    late = helpdesk_api.post(f"/disk-requests/{pk}/reject", {"reason": "no"}, key="other")
    assert late.status_code == 409
    assert "already decided by hana.helpdesk" in late.json()["detail"]
    no_reason = helpdesk_api.post(f"/disk-requests/{pk}/reject", {"reason": ""})
    assert no_reason.status_code == 400
    approvals = AuditEvent.objects.filter(action=AuditEvent.Action.REQUEST_APPROVED)
    assert approvals.count() == 1 and approvals.get().channel == "api"


def test_lists_page_by_cursor(helpdesk_api, synced):
    seen, cursor = [], None
    while True:
        page = helpdesk_api.get("/desktops", limit=3, **({"cursor": cursor} if cursor else {}))
        body = page.json()
        seen += [item["desktop_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    everything = helpdesk_api.get("/desktops", limit=200).json()["items"]
    assert seen == [item["desktop_id"] for item in everything]
    assert len(seen) == len(set(seen)) > 3
    assert helpdesk_api.get("/desktops", cursor="garbage!").status_code == 400


def test_auditors_page_through_the_history(auditor, helpdesk_api, synced):
    auditor_api = ApiClient(make_token(auditor, "auditor"))
    first = auditor_api.get("/audit-events", limit=1).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = auditor_api.get("/audit-events", limit=1, cursor=first["next_cursor"]).json()
    assert second["items"][0]["sequence"] < first["items"][0]["sequence"]
    only_syncs = auditor_api.get("/audit-events", action="inventory.synced").json()["items"]
    assert {event["action"] for event in only_syncs} == {"inventory.synced"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.simulator(speed=20)
def test_a_client_submits_and_polls_until_done(helpdesk_user, synced, settings):
    """What a script does: submit with a key, then poll the request until it is terminal.

    The worker (django-tasks-db, run here in batches) follows the job, as in production.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    api = ApiClient(make_token(helpdesk_user, "helpdesk"))
    desktop = desktop_of(synced, "alice.wong")
    submitted = api.post(
        f"/desktops/{desktop}/disk-requests", {"volumes": [{"type": "SAS", "size": 20}]}, key="flow"
    )
    assert submitted.status_code == 201
    url = f"/disk-requests/{submitted.json()['id']}"
    deadline = time.monotonic() + 30
    while not (current := api.get(url).json())["is_terminal"]:
        assert time.monotonic() < deadline, current
        call_command("db_worker", batch=True, interval=0, verbosity=0)
        time.sleep(0.2)
    assert current["status"] == "succeeded", json.dumps(current)
    assert current["progress"] == 100
    assert current["sub_jobs"]
    disks = api.get(f"/desktops/{desktop}").json()["data_volumes"]
    assert any(disk.get("size") == 20 for disk in disks)
