"""Batches with the in-memory cloud: preview, quota, chunks, refusals, crashes, polling, retry."""

import uuid
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from disks.client import Quota, VolumeSpec, WorkspaceRefused, WorkspaceUnavailable
from disks.models import AuditEvent, Batch, BatchChunk, DiskRequest
from disks.services import batch_chunks, batch_polling, batches, polling
from tests.factories import helpdesk_actor

pytestmark = pytest.mark.django_db

Status = DiskRequest.Status
DISKS = [VolumeSpec("SAS", 20), VolumeSpec("SSD", 30)]


def preview(cloud, user, desktop_ids, volumes=DISKS, **kwargs):
    return batches.batch_preview_create(
        desktop_ids=desktop_ids,
        volumes=volumes,
        actor=helpdesk_actor(user),
        idempotency_key=kwargs.pop("key", None) or uuid.uuid4(),
        **kwargs,
    )


def submit_and_send(batch, user):
    batch = batches.batch_submit(batch=batch, actor=helpdesk_actor(user))
    return batch_chunks.batch_send(batch=batch)


def poll_all(batch):
    """One round: every open chunk made due and polled once."""
    BatchChunk.objects.filter(batch=batch, ended_at__isnull=True).update(
        next_poll_at=timezone.now()
    )
    for chunk in BatchChunk.objects.filter(batch=batch, ended_at__isnull=True):
        batch_polling.batch_chunk_poll_if_due(chunk=chunk)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def fleet(cloud, helpdesk_user):
    """Five ready desktops, one SHUTOFF, one with 9 disks, one with a request in flight."""
    ready = [cloud.add_desktop(name=f"READY-{n}") for n in range(5)]
    shutoff = cloud.add_desktop(name="OFF", status="SHUTOFF")
    full = cloud.add_desktop(name="FULL", data_disks=9)
    busy = cloud.add_desktop(name="BUSY")
    DiskRequest.objects.create(
        desktop_id=busy,
        volumes=[{"type": "SAS", "size": 10}],
        audience="helpdesk",
        requested_by_username="x",
        status=Status.RUNNING,
    )
    return {"ready": ready, "shutoff": shutoff, "full": full, "busy": busy}


def test_the_preview_reads_the_desktops_by_pages_and_says_why_each_is_skipped(
    cloud, helpdesk_user, fleet
):
    ids = [*fleet["ready"], fleet["shutoff"], fleet["full"], fleet["busy"], "no-such-desktop"]
    batch = preview(cloud, helpdesk_user, ids)
    assert batch.status == Batch.Status.PREVIEWED
    reasons = {item.desktop_id: item.skip_reason for item in batch.items.all()}
    assert [reasons[d] for d in fleet["ready"]] == [""] * 5
    assert "SHUTOFF" in reasons[fleet["shutoff"]]
    assert "9 data disks" in reasons[fleet["full"]]
    assert "already changing its disks" in reasons[fleet["busy"]]
    assert "does not know" in reasons["no-such-desktop"]
    numbers = batches.batch_numbers(batch)
    assert (numbers.ready, numbers.skipped, numbers.new_disks, numbers.new_gigabytes) == (
        5,
        4,
        10,
        250,
    )
    assert numbers.calls == 1
    assert not cloud.called("add_volumes"), "a preview writes nothing"
    reads = cloud.called("list_desktops_detail")
    assert len(reads) == 1 and len(reads[0].kwargs["desktop_ids"]) == 9


def test_a_thousand_desktops_cost_ten_reads_of_a_hundred(cloud, helpdesk_user, settings):
    settings.BATCH_PREVIEW_PARALLEL = 3
    ids = [cloud.add_desktop() for _ in range(1000)]
    batch = preview(cloud, helpdesk_user, ids, volumes=[VolumeSpec("SAS", 10)])
    reads = cloud.called("list_desktops_detail")
    assert len(reads) == 10
    assert all(len(read.kwargs["desktop_ids"]) == 100 for read in reads)
    assert batches.batch_numbers(batch).calls == 10


def test_more_than_a_thousand_desktops_or_no_disks_are_refused(cloud, helpdesk_user):
    with pytest.raises(ValidationError, match="at most 1000"):
        preview(cloud, helpdesk_user, [f"d{n}" for n in range(1001)])
    with pytest.raises(ValidationError, match="does not sell"):
        preview(cloud, helpdesk_user, ["d1"], volumes=[VolumeSpec("ESSD", 10)])
    assert Batch.objects.count() == 0


def test_the_same_preview_key_is_the_same_batch(cloud, helpdesk_user, fleet):
    key = uuid.uuid4()
    first = preview(cloud, helpdesk_user, fleet["ready"], key=key)
    again = preview(cloud, helpdesk_user, fleet["ready"], key=key)
    assert first.pk == again.pk and Batch.objects.count() == 1


def test_it_sends_chunks_of_the_set_size_once_and_links_a_request_per_desktop(
    cloud, helpdesk_user, fleet, settings
):
    settings.BATCH_CHUNK_SIZE = 2
    batch = preview(cloud, helpdesk_user, [*fleet["ready"], fleet["shutoff"]])
    batch = submit_and_send(batch, helpdesk_user)
    calls = cloud.called("add_volumes")
    assert [len(call.args[0]) for call in calls] == [2, 2, 1]
    assert batch.status == Batch.Status.RUNNING
    requests = list(batch.requests.order_by("pk"))
    assert [r.desktop_id for r in requests] == fleet["ready"]
    assert all(r.status == Status.RUNNING and r.batch_chunk_id for r in requests)
    assert all(r.next_poll_at is None for r in requests), "the chunk polls, not the request"
    assert len({r.job_id for r in requests}) == 3
    event = AuditEvent.objects.get(action="disk_batch.submitted")
    assert event.actor_username == helpdesk_user.username
    assert event.details["batch_id"] == batch.pk
    assert (event.details["ready"], event.details["skipped"], event.details["calls"]) == (5, 1, 3)
    # A resent submit is the same batch, and sends nothing more.
    again = submit_and_send(Batch.objects.get(pk=batch.pk), helpdesk_user)
    assert again.pk == batch.pk and len(cloud.called("add_volumes")) == 3


def test_a_batch_over_the_quota_is_refused_with_the_numbers_and_no_call(
    cloud, helpdesk_user, fleet
):
    cloud.quotas = replace(cloud.quotas, volumes=Quota("volumes", 100, 95, "count"))
    batch = preview(cloud, helpdesk_user, fleet["ready"])
    check = batches.batch_quota_check(batch)
    assert check is not None and not check.fits
    assert "95 used + 10 new = 105 disks, over the quota of 100" in check.shortfall()
    with pytest.raises(ValidationError, match="95 used \\+ 10 new = 105 disks"):
        batches.batch_submit(batch=batch, actor=helpdesk_actor(helpdesk_user))
    assert not cloud.called("add_volumes")
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PREVIEWED
    # Cut down to what fits: 5 disks of room is 2 desktops of 2 disks.
    assert batches.batch_cut_to_quota(batch=batch) == 3
    assert batches.batch_numbers(batch).ready == 2
    batch = submit_and_send(batch, helpdesk_user)
    assert len(cloud.called("add_volumes")[0].args[0]) == 2


def test_a_quota_read_that_fails_blocks_nothing(cloud, helpdesk_user, fleet):
    cloud.fail_next("show_quotas", WorkspaceUnavailable("ShowQuotas", status=503))
    batch = preview(cloud, helpdesk_user, fleet["ready"])
    assert batch.quota is None and batches.batch_quota_check(batch) is None
    cloud.fail_next("show_quotas", WorkspaceUnavailable("ShowQuotas", status=503))
    assert submit_and_send(batch, helpdesk_user).status == Batch.Status.RUNNING


def test_a_refused_chunk_fails_its_desktops_with_the_clouds_words_and_the_rest_go_on(
    cloud, helpdesk_user, fleet, settings
):
    settings.BATCH_CHUNK_SIZE = 2
    batch = preview(cloud, helpdesk_user, fleet["ready"])
    cloud.fail_next(
        "add_volumes",
        WorkspaceRefused(
            "AddVolumes", status=400, error_code="WKS.0999", error_msg="Chunk says no."
        ),
    )
    batch = submit_and_send(batch, helpdesk_user)
    first, second, third = batch.chunks.order_by("number")
    assert first.is_ended and first.error_code == "WKS.0999"
    assert {r.status for r in first.requests.all()} == {Status.FAILED}
    assert all("Chunk says no." in r.error_message for r in first.requests.all())
    assert {r.status for r in [*second.requests.all(), *third.requests.all()]} == {Status.RUNNING}
    assert len(cloud.called("add_volumes")) == 3


def test_a_crash_between_chunks_resumes_without_sending_any_chunk_twice(
    cloud, helpdesk_user, fleet, settings
):
    settings.BATCH_CHUNK_SIZE = 2
    batch = batches.batch_submit(
        batch=preview(cloud, helpdesk_user, fleet["ready"]), actor=helpdesk_actor(helpdesk_user)
    )
    first = batch.chunks.get(number=1)
    batch_chunks.batch_chunk_send(chunk=first, client=cloud)  # then the worker dies
    assert len(cloud.called("add_volumes")) == 1
    assert batch_polling.batch_chunks_sweep(now=timezone.now() + timezone.timedelta(minutes=5))
    batch = batch_chunks.batch_send(batch=Batch.objects.get(pk=batch.pk))
    batch_chunks.batch_send(batch=Batch.objects.get(pk=batch.pk))  # a duplicate task
    assert [len(c.args[0]) for c in cloud.called("add_volumes")] == [2, 2, 1]
    assert batch.status == Batch.Status.RUNNING
    assert batch.requests.filter(status=Status.RUNNING).count() == 5


def test_each_chunk_costs_one_status_call_per_period_and_the_batch_ends_with_its_jobs(
    cloud, helpdesk_user, fleet, settings
):
    settings.BATCH_CHUNK_SIZE = 3
    batch = submit_and_send(preview(cloud, helpdesk_user, fleet["ready"]), helpdesk_user)
    poll_all(batch)
    assert len(cloud.called("show_job")) == 2
    # A second poll within the period is claimed by nobody: no call.
    for chunk in batch.chunks.all():
        batch_polling.batch_chunk_poll_if_due(chunk=chunk)
    assert len(cloud.called("show_job")) == 2
    one, two = batch.chunks.order_by("number")
    cloud.finish_job(one.job_id, reason="No room.", failed_desktops=frozenset(fleet["ready"][:1]))
    cloud.finish_job(two.job_id)
    batch = poll_all(batch)
    assert len(cloud.called("show_job")) == 4
    assert batch.status == Batch.Status.FINISHED and batch.finished_at
    statuses = {r.desktop_id: r.status for r in batch.requests.all()}
    assert statuses[fleet["ready"][0]] == Status.FAILED
    assert [statuses[d] for d in fleet["ready"][1:]] == [Status.SUCCEEDED] * 4
    failed = batch.requests.get(desktop_id=fleet["ready"][0])
    assert "No room." in failed.error_message
    assert AuditEvent.objects.filter(action="disk_batch.finished").count() == 1
    # The succeeded desktops' disks show in the inventory: one read per chunk.
    from disks.models import Desktop

    assert Desktop.objects.get(desktop_id=fleet["ready"][1]).data_volume_count == 2


def test_the_per_request_poll_and_sweep_leave_batch_requests_to_their_chunk(
    cloud, helpdesk_user, fleet
):
    batch = submit_and_send(preview(cloud, helpdesk_user, fleet["ready"]), helpdesk_user)
    request = batch.requests.first()
    DiskRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now())
    request.refresh_from_db()
    polling.disk_request_poll_if_due(disk_request=request)
    assert not cloud.called("show_job")
    later = timezone.now() + timezone.timedelta(hours=1)
    assert polling.disk_requests_sweep(now=later) == 0  # overdue, but its chunk's business


def test_a_lost_answer_is_reconciled_from_the_sub_jobs_never_resent(cloud, helpdesk_user, fleet):
    batch = batches.batch_submit(
        batch=preview(cloud, helpdesk_user, fleet["ready"]), actor=helpdesk_actor(helpdesk_user)
    )
    real_add = cloud.add_volumes

    def add_then_lose(desktop_volumes):
        real_add(desktop_volumes)
        raise WorkspaceUnavailable("AddVolumes", status=None, outcome_unknown=True)

    cloud.add_volumes = add_then_lose
    batch = batch_chunks.batch_send(batch=batch)
    chunk = batch.chunks.get()
    assert not chunk.job_id and not chunk.is_ended
    assert {r.status for r in chunk.requests.all()} == {Status.SUBMITTING}
    BatchChunk.objects.filter(pk=chunk.pk).update(
        sent_at=timezone.now() - timezone.timedelta(minutes=2), next_poll_at=timezone.now()
    )
    chunk.refresh_from_db()
    batch_polling.batch_chunk_poll_if_due(chunk=chunk)
    chunk.refresh_from_db()
    assert chunk.job_id and {r.status for r in chunk.requests.all()} == {Status.RUNNING}
    assert len(cloud.called("add_volumes")) == 1


def test_retry_the_failed_ones_previews_a_new_batch_of_just_those(cloud, helpdesk_user, fleet):
    batch = submit_and_send(preview(cloud, helpdesk_user, fleet["ready"]), helpdesk_user)
    chunk = batch.chunks.get()
    cloud.finish_job(chunk.job_id, reason="Nope.", failed_desktops=frozenset(fleet["ready"][:2]))
    batch = poll_all(batch)
    retry = batches.batch_retry_failed(
        batch=batch, actor=helpdesk_actor(helpdesk_user), idempotency_key=uuid.uuid4()
    )
    assert retry.retry_of_id == batch.pk and retry.status == Batch.Status.PREVIEWED
    assert sorted(retry.items.values_list("desktop_id", flat=True)) == sorted(fleet["ready"][:2])
    assert retry.volumes == batch.volumes


def test_a_worker_killed_during_the_call_leaves_the_chunk_for_review_never_resent(
    cloud, helpdesk_user, fleet
):
    batch = batches.batch_submit(
        batch=preview(cloud, helpdesk_user, fleet["ready"]), actor=helpdesk_actor(helpdesk_user)
    )

    def killed(desktop_volumes):
        raise RuntimeError("the worker was killed mid-call")

    cloud.add_volumes = killed
    with pytest.raises(RuntimeError):
        batch_chunks.batch_send(batch=batch)
    chunk = batch.chunks.get()
    assert chunk.sent_at and chunk.next_poll_at, "claimed, and due for its reconcile"
    assert {r.status for r in chunk.requests.all()} == {Status.SUBMITTING}
    batch_chunks.batch_send(batch=Batch.objects.get(pk=batch.pk))  # the next run: nothing to send
    past = timezone.now() - timezone.timedelta(minutes=2)
    BatchChunk.objects.filter(pk=chunk.pk).update(sent_at=past, next_poll_at=past)
    chunk.refresh_from_db()
    batch_polling.batch_chunk_poll_if_due(chunk=chunk)
    chunk.refresh_from_db()
    assert chunk.is_ended
    assert {r.status for r in chunk.requests.all()} == {Status.NEEDS_REVIEW}
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.FINISHED
