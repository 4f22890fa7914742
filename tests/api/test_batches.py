"""Batches through the API: the preview (ready and skipped desktops, the quota), the submit,
idempotency, refusals as problems, and a client that follows a batch to the end."""

import json
import time

import pytest
from django.utils import timezone

from disks.models import Batch, BatchChunk
from disks.services import batch_chunks, batch_polling
from tests.api.helpers import ApiClient
from tests.factories import desktop_of, seeded_desktop

pytestmark = pytest.mark.django_db

SAS_20 = [{"type": "SAS", "size": 20}]


def three_desktops(sim) -> tuple[list[str], str]:
    """Two idle desktops and a busy one (skipped); and the busy one's id."""
    first = desktop_of(sim, "bob.martin")
    second = desktop_of(sim, "bob.martin", exclude={first})
    busy = seeded_desktop(sim, task_status="creatingWksSnapshot")
    return [first, second, busy], busy


def used_disks(sim) -> int:
    return next(r["used"] for r in sim.quotas()["quotas"]["resources"] if r["type"] == "volumes")


def follow(api: ApiClient, batch_id: int, deadline_seconds: float = 30) -> dict:
    """Poll GET /batches/{id} until finished, running the worker's chunk polls in between
    (as the batch tests do: each open chunk is polled once a round, as if its period passed)."""
    deadline = time.monotonic() + deadline_seconds
    while not (current := api.get(f"/batches/{batch_id}").json())["is_finished"]:
        assert time.monotonic() < deadline, json.dumps(current)
        time.sleep(0.25)
        open_chunks = BatchChunk.objects.filter(batch_id=batch_id, ended_at__isnull=True)
        open_chunks.update(next_poll_at=timezone.now())
        for chunk in open_chunks:
            batch_polling.batch_chunk_poll_if_due(chunk=chunk)
    return current


def test_a_batch_is_previewed_with_ready_and_skipped_desktops_and_the_quota(helpdesk_api, synced):
    desktops, busy = three_desktops(synced)
    response = helpdesk_api.post("/batches", {"desktop_ids": desktops, "volumes": SAS_20})
    assert response.status_code == 201
    batch = response.json()
    assert batch["status"] == "previewed" and not batch["is_finished"]
    assert batch["numbers"] == {"ready": 2, "skipped": 1, "new_disks": 2, "new_gb": 40, "calls": 1}
    assert batch["quota_volumes"]["used"] == used_disks(synced)
    assert batch["quota_fits"] is True and batch["quota_shortfall"] == ""
    by_desktop = {row["desktop_id"]: row for row in batch["desktops"]}
    assert by_desktop[busy]["status"] == "skipped"
    assert "busy" in by_desktop[busy]["skip_reason"]
    assert {by_desktop[d]["status"] for d in desktops if d != busy} == {"waiting"}
    assert not synced.requests_log("AddVolumes"), "a preview is a dry run"
    assert helpdesk_api.get(f"/batches/{batch['id']}").json() == batch


def test_the_same_key_is_the_same_batch_and_another_body_is_422(helpdesk_api, synced):
    desktops, _busy = three_desktops(synced)
    body = {"desktop_ids": desktops, "volumes": SAS_20}
    first = helpdesk_api.post("/batches", body, key="batch-1")
    again = helpdesk_api.post("/batches", body, key="batch-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Batch.objects.count() == 1
    other = helpdesk_api.post("/batches", {**body, "desktop_ids": desktops[:1]}, key="batch-1")
    assert other.status_code == 422
    assert other.json()["type"].endswith(":idempotency-key-reused")
    assert Batch.objects.count() == 1


def test_batch_refusals_are_problems_with_the_forms_messages(helpdesk_api, synced):
    desktops, busy = three_desktops(synced)
    unsold = helpdesk_api.post(
        "/batches", {"desktop_ids": desktops, "volumes": [{"type": "NOPE", "size": 20}]}
    )
    assert unsold.status_code == 422
    assert "the cloud does not sell NOPE disks now" in unsold.json()["detail"]
    nothing_ready = helpdesk_api.post("/batches", {"desktop_ids": [busy], "volumes": SAS_20})
    assert nothing_ready.status_code == 201
    refused = helpdesk_api.post(f"/batches/{nothing_ready.json()['id']}/submit")
    assert refused.status_code == 422
    assert "No desktop in this batch is ready" in refused.json()["detail"]
    assert helpdesk_api.post("/batches", {"desktop_ids": [], "volumes": SAS_20}).status_code == 400
    assert helpdesk_api.get("/batches/999999").status_code == 404


def test_over_the_quota_the_submit_is_refused_with_the_numbers(helpdesk_api, synced):
    desktops, _busy = three_desktops(synced)
    preview = helpdesk_api.post("/batches", {"desktop_ids": desktops, "volumes": SAS_20}).json()
    used = used_disks(synced)
    synced.set_quotas(volumes=used + 1)
    refused = helpdesk_api.post(f"/batches/{preview['id']}/submit")
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert (
        f"{used} used + 2 new = {used + 2} disks, over the quota of {used + 1}"
        in (refused.json()["detail"])
    )
    assert Batch.objects.get(pk=preview["id"]).status == "previewed"


@pytest.mark.simulator(speed=50)
def test_a_client_previews_submits_and_follows_a_batch_to_the_end(helpdesk_api, synced):
    """What a script does: preview 3 desktops (one skipped), submit, poll until finished."""
    desktops, busy = three_desktops(synced)
    preview = helpdesk_api.post(
        "/batches", {"desktop_ids": desktops, "volumes": SAS_20}, key="flow-preview"
    )
    assert preview.status_code == 201
    batch_id = preview.json()["id"]
    submitted = helpdesk_api.post(f"/batches/{batch_id}/submit", key="flow-submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "sending"
    resent = helpdesk_api.post(f"/batches/{batch_id}/submit", key="flow-submit")
    assert resent.status_code == 200 and resent.json()["id"] == batch_id
    # The worker's step: the batch's send task (queued on commit), then its chunk polls.
    batch_chunks.batch_send(batch=Batch.objects.get(pk=batch_id))
    finished = follow(helpdesk_api, batch_id)
    assert len(synced.requests_log("AddVolumes")) == 1, "sent once"
    assert finished["status"] == "finished" and finished["finished_at"]
    progress = finished["progress"]
    assert (progress["succeeded"], progress["failed"], progress["skipped"]) == (2, 0, 1)
    assert progress["percent"] == 100
    rows = {row["desktop_id"]: row for row in finished["desktops"]}
    assert rows[busy]["status"] == "skipped" and rows[busy]["disk_request"] is None
    for desktop_id in desktops:
        if desktop_id != busy:
            request = rows[desktop_id]["disk_request"]
            assert rows[desktop_id]["status"] == request["status"] == "succeeded"
            assert request["kind"] == "add" and request["volumes"][0]["size"] == 20
            detail = helpdesk_api.get(f"/disk-requests/{request['id']}").json()
            assert detail == request, "the same shape as /disk-requests"
