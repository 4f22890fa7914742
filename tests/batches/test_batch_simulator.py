"""A 250-desktop batch against the real simulator: three chunks, skips, refusals, quota."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from disks.client import VolumeSpec
from disks.models import Batch, BatchChunk, Desktop, DiskRequest
from disks.services import batch_chunks, batch_polling, batches
from disks.services.requests import disk_request_submit
from tests.factories import helpdesk_actor, write_fleet_seed

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status
# 238 idle desktops (0 to 2 disks), 6 SHUTOFF, 6 full: 250.
PLAN = [("ACTIVE", "", n % 3) for n in range(238)] + [("SHUTOFF", "", 0)] * 6
PLAN += [("ACTIVE", "", 10)] * 6
IN_FLIGHT = 6  # of the idle ones get a single request first: 232 ready, in 3 chunks


@pytest.fixture
def simulator(tmp_path):
    """This module's simulator: 250 desktops, fast jobs, no quota unless a test sets one."""
    from workspace_sim.testing import running_simulator

    seed = write_fleet_seed(tmp_path / "fleet.json", PLAN)
    with running_simulator(seed_path=seed, speed=50) as sim:
        sim.set_quotas(volumes=-1, volume_gigabytes=-1)
        yield sim


@pytest.fixture
def fleet(synced, helpdesk_user):
    """Every desktop id, with single requests in flight on the first IN_FLIGHT idle ones."""
    ids = list(Desktop.objects.order_by("pk").values_list("desktop_id", flat=True))
    idle = [d for d in ids if Desktop.objects.get(desktop_id=d).status == "ACTIVE"]
    for desktop_id in idle[:IN_FLIGHT]:
        disk_request_submit(
            desktop_id=desktop_id,
            volumes=[VolumeSpec("SAS", 10)],
            actor=helpdesk_actor(helpdesk_user),
            idempotency_key=uuid.uuid4(),
        )
    synced.clear_log()
    return ids


def preview(user, ids, key=None):
    return batches.batch_preview_create(
        desktop_ids=ids,
        volumes=[VolumeSpec("SAS", 20)],
        actor=helpdesk_actor(user),
        idempotency_key=key or uuid.uuid4(),
    )


def follow_to_the_end(sim, batch, rounds=40):
    """Poll every open chunk once a round (as if a period had passed); return the rounds."""
    import time

    for used in range(1, rounds + 1):
        time.sleep(0.25)
        BatchChunk.objects.filter(batch=batch, ended_at__isnull=True).update(
            next_poll_at=timezone.now()
        )
        for chunk in BatchChunk.objects.filter(batch=batch, ended_at__isnull=True):
            batch_polling.batch_chunk_poll_if_due(chunk=chunk)
        batch.refresh_from_db()
        if batch.is_finished:
            return used
    raise AssertionError("the batch did not finish")


def test_a_250_desktop_batch_goes_to_the_end_in_three_calls(synced, helpdesk_user, fleet):
    batch = preview(helpdesk_user, fleet)
    numbers = batches.batch_numbers(batch)
    assert (numbers.ready, numbers.skipped, numbers.calls) == (232, 18, 3)
    reasons = list(batch.items.exclude(skip_reason="").values_list("skip_reason", flat=True))
    assert sum("SHUTOFF" in r for r in reasons) == 6
    assert sum("10 data disks" in r for r in reasons) == 6
    # A desktop with a single request running shows it as busy, or as that request.
    assert sum("busy" in r or "already changing" in r for r in reasons) == IN_FLIGHT
    assert len(synced.requests_log("ListDesktopsDetail")) == 3  # 100 + 100 + 50 ids
    assert not synced.requests_log("AddVolumes")

    batch = batches.batch_submit(batch=batch, actor=helpdesk_actor(helpdesk_user))
    batch = batch_chunks.batch_send(batch=batch)
    assert len(synced.requests_log("AddVolumes")) == 3
    assert batch.status == Batch.Status.RUNNING
    assert batch.requests.count() == 232

    rounds = follow_to_the_end(synced, batch)
    assert len(synced.requests_log("AddVolumes")) == 3
    show_jobs = len(synced.requests_log("ShowJob"))
    assert show_jobs <= 3 * rounds, "one status call per chunk per period"
    assert not synced.requests_log("ShowDesktopDetail"), "never one call per desktop"
    assert not synced.requests_log("ListItaSubJobs")
    assert batch.requests.filter(status=Status.SUCCEEDED).count() == 232
    done = Desktop.objects.get(desktop_id=batch.requests.first().desktop_id)
    assert any(volume["size"] == 20 for volume in done.data_volumes)


def test_over_the_quota_the_batch_is_refused_with_the_numbers_and_no_call(
    synced, helpdesk_user, fleet
):
    used = next(r["used"] for r in synced.quotas()["quotas"]["resources"] if r["type"] == "volumes")
    synced.set_quotas(volumes=used + 100)
    batch = preview(helpdesk_user, fleet)
    check = batches.batch_quota_check(batch)
    assert check is not None and not check.fits
    with pytest.raises(ValidationError) as refused:
        batches.batch_submit(batch=batch, actor=helpdesk_actor(helpdesk_user))
    assert f"{used} used + 232 new = {used + 232} disks, over the quota of {used + 100}" in str(
        refused.value
    )
    assert not synced.requests_log("AddVolumes")


def test_one_chunk_refused_by_the_cloud_and_the_rest_succeed(synced, helpdesk_user, fleet):
    batch = batches.batch_submit(
        batch=preview(helpdesk_user, fleet), actor=helpdesk_actor(helpdesk_user)
    )
    synced.inject_fault(
        "AddVolumes",
        "status",
        status=400,
        body={"error_code": "WKS.0099", "error_msg": "The chunk was refused."},
    )
    batch = batch_chunks.batch_send(batch=batch)
    first = batch.chunks.get(number=1)
    assert first.is_ended and first.error_code == "WKS.0099"
    assert set(first.requests.values_list("status", flat=True)) == {Status.FAILED}
    assert "The chunk was refused." in first.requests.first().error_message
    follow_to_the_end(synced, batch)
    assert batch.requests.filter(status=Status.SUCCEEDED).count() == 132
    assert len(synced.requests_log("AddVolumes")) == 3


def test_a_crash_between_chunks_resumes_without_sending_a_chunk_twice(synced, helpdesk_user, fleet):
    batch = batches.batch_submit(
        batch=preview(helpdesk_user, fleet), actor=helpdesk_actor(helpdesk_user)
    )
    batch_chunks.batch_chunk_send(chunk=batch.chunks.get(number=1), client=_client())
    # The worker died here. The next run (twice, as two workers might) sends the rest.
    batch_chunks.batch_send(batch=Batch.objects.get(pk=batch.pk))
    batch = batch_chunks.batch_send(batch=Batch.objects.get(pk=batch.pk))
    bodies = synced.requests_log("AddVolumes")
    assert len(bodies) == 3
    assert batch.requests.count() == 232
    follow_to_the_end(synced, batch)
    assert batch.requests.filter(status=Status.SUCCEEDED).count() == 232


def _client():
    from disks.client import get_client

    return get_client()
