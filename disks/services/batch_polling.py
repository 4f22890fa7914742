"""Following a batch's chunks: one status call per chunk per period, never one per desktop.

A chunk's period is claimed as a single request's is (services.polling `_claim`): a
conditional UPDATE on `next_poll_at`. The winner reads the chunk's job once (ShowJob, with
every sub-job) and moves each of the chunk's requests through the lifecycle, so a batch of
1,000 desktops costs 10 status calls per period, not 1,000. The per-request poll and sweep
leave batch requests alone (they have no poll time of their own). A chunk whose AddVolumes
answer was lost is reconciled here, never sent again.
"""

import dataclasses
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from disks.actor import Actor
from disks.client import Job, SubJob, WorkspaceClient, WorkspaceError, get_client
from disks.client.timestamps import parse_api_time
from disks.models import AuditEvent, Batch, BatchChunk, DiskRequest
from disks.services.batch_chunks import (
    ADD_JOB_TYPE,
    batch_request_counts,
    chunk_end,
    chunk_poll_enqueue,
    chunk_update,
)
from disks.services.batches import desktops_read
from disks.services.inventory import desktop_details_store
from disks.services.lifecycle import (
    BATCH_SEND_TASK,
    AuditEntry,
    StaleMove,
    batch_move,
    disk_request_move,
)
from disks.services.polling import (
    MAX_BACKOFF_SECONDS,
    SUB_JOB_START_TOLERANCE,
    SUBMIT_GRACE_SECONDS,
    poll_interval_seconds,
)

logger = logging.getLogger(__name__)

Status = DiskRequest.Status
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


def _period(chunk: BatchChunk) -> timedelta:
    return timedelta(seconds=chunk.poll_interval_seconds or poll_interval_seconds(None))


def batch_chunk_poll_if_due(
    *, chunk: BatchChunk, actor: Actor | None = None, client: WorkspaceClient | None = None
) -> BatchChunk:
    """Read the chunk's job once if its period is due and this caller wins the claim."""
    actor = actor or Actor.system()
    now = timezone.now()
    if chunk.is_ended or chunk.next_poll_at is None or chunk.next_poll_at > now:
        return chunk
    claimed = BatchChunk.objects.filter(
        pk=chunk.pk, ended_at__isnull=True, next_poll_at__lte=now
    ).update(next_poll_at=now + _period(chunk))
    if not claimed:
        return chunk
    chunk.refresh_from_db()
    client = client or get_client()
    if not chunk.job_id:
        _reconcile(chunk, actor, client, now)
    elif chunk.deadline_at and now > chunk.deadline_at:
        _end_in_review(chunk, actor, _deadline_words(chunk))
    else:
        try:
            job = client.show_job(chunk.job_id)
        except WorkspaceError as error:
            _record_poll_error(chunk, actor, error)
        else:
            _record_job(chunk, actor, job)
    chunk.refresh_from_db()
    if chunk.is_ended:
        _refresh_desktops_quietly(chunk, client)
        batch_finish_if_done(batch=chunk.batch)
    else:
        chunk_poll_enqueue(chunk)
    return chunk


def _in_flight(chunk: BatchChunk):
    return chunk.requests.filter(status__in=DiskRequest.IN_FLIGHT_STATUSES)


def _record_job(chunk: BatchChunk, actor: Actor, job: Job) -> None:
    """Move each request whose sub-job has ended; note progress on the others."""
    by_desktop = {sub_job.desktop_id: sub_job for sub_job in job.sub_jobs}
    now = timezone.now()
    with transaction.atomic():
        for request in _in_flight(chunk).select_for_update():
            sub_job = by_desktop.get(request.desktop_id)
            _record_sub_job(request, actor, job, sub_job, now)
        changes: dict = {
            "job_status": job.status,
            "last_polled_at": now,
            "poll_failures": 0,
            "poll_error": "",
        }
        if job.is_terminal:
            changes.update(ended_at=now, next_poll_at=None)
        chunk_update(chunk, changes)


def _record_sub_job(request, actor, job: Job, sub_job: SubJob | None, now: datetime) -> None:
    polled = {"job_status": job.status, "last_polled_at": now}
    if sub_job is not None and sub_job.status == "SUCCESS":
        _job_move(
            request,
            actor,
            Status.SUCCEEDED,
            {**polled, "progress": 100, "sub_jobs": [dataclasses.asdict(sub_job)]},
        )
    elif sub_job is not None and sub_job.status in ("FAILED", "FAIL"):
        reason = sub_job.fail_reason or job.fail_reason or _("The cloud gave no reason.")
        _job_move(
            request,
            actor,
            Status.FAILED,
            {
                **polled,
                "sub_jobs": [dataclasses.asdict(sub_job)],
                "error_code": sub_job.error_code or job.job_error_code,
                "error_message": _("The cloud could not add the disks: %(reason)s")
                % {"reason": reason},
            },
        )
    elif job.is_terminal:
        _job_move(
            request,
            actor,
            Status.NEEDS_REVIEW,
            {
                **polled,
                "error_message": _(
                    "Job %(job)s ended without a word on this desktop. Check its disks."
                )
                % {"job": job.id},
            },
        )
    elif sub_job is not None and request.status == Status.RUNNING:
        request.job_status = sub_job.status
        request.progress = sub_job.process or 0
        request.last_polled_at = now
        request.sub_jobs = [dataclasses.asdict(sub_job)]
        request.save(
            update_fields=["job_status", "progress", "last_polled_at", "sub_jobs", "updated_at"]
        )


_JOB_OUTCOMES: dict[str, str] = {Status.SUCCEEDED: Outcome.SUCCESS, Status.FAILED: Outcome.FAILURE}


def _job_move(request: DiskRequest, actor: Actor, target: str, changes: dict) -> None:
    audit = AuditEntry(
        Action.JOB_STATUS_CHANGED,
        _JOB_OUTCOMES.get(target, Outcome.INFO),
        {
            "from": request.status,
            "to": target,
            "job_id": request.job_id,
            "job_status": changes.get("job_status", ""),
            "reason": changes.get("error_message", ""),
            "batch_id": request.batch_id,
        },
        error_code=changes.get("error_code", ""),
    )
    disk_request_move(request, to=target, actor=actor, audit=audit, changes=changes)


def _end_in_review(chunk: BatchChunk, actor: Actor, reason: str) -> None:
    with transaction.atomic():
        for request in _in_flight(chunk):
            _job_move(request, actor, Status.NEEDS_REVIEW, {"error_message": reason})
        chunk_end(chunk, error_message=reason)


def _deadline_words(chunk: BatchChunk) -> str:
    return _(
        "The job did not finish by its deadline (%(deadline)s UTC). Check the desktops' disks "
        "in the console before trying again."
    ) % {"deadline": f"{chunk.deadline_at:%Y-%m-%d %H:%M}"}


def _record_poll_error(chunk: BatchChunk, actor: Actor, error: WorkspaceError) -> None:
    """As for a single request: only a job the cloud no longer knows ends it; else back off."""
    if error.status == 404:
        _end_in_review(
            chunk,
            actor,
            _("The cloud no longer knows job %(job)s; check the desktops' disks.")
            % {"job": chunk.job_id},
        )
        return
    failures = chunk.poll_failures + 1
    backoff = min(_period(chunk).total_seconds() * 2**failures, MAX_BACKOFF_SECONDS)
    now = timezone.now()
    chunk_update(
        chunk,
        {
            "poll_failures": failures,
            "poll_error": error.human_message,
            "last_polled_at": now,
            "next_poll_at": now + timedelta(seconds=backoff),
        },
    )


def _reconcile(chunk: BatchChunk, actor: Actor, client: WorkspaceClient, now: datetime) -> None:
    """Find what became of a chunk whose AddVolumes answer was lost; never send it again.

    Its sub-jobs (ListItaSubJobs, type addVolumes) for its desktops, begun after it was
    sent, name its job: follow that. No such sub-job: the cloud did not take it, and each
    request needs a person's look (the desktop may show otherwise).
    """
    if chunk.sent_at is None or (now - chunk.sent_at).total_seconds() < SUBMIT_GRACE_SECONDS:
        return
    desktops = set(_in_flight(chunk).values_list("desktop_id", flat=True))
    try:
        page = client.list_ita_sub_jobs(job_type=ADD_JOB_TYPE, limit=1000)
    except WorkspaceError as error:
        _record_poll_error(chunk, actor, error)
        return
    since = chunk.sent_at - SUB_JOB_START_TOLERANCE
    found = [
        sub_job
        for sub_job in page.jobs
        if sub_job.desktop_id in desktops and (parse_api_time(sub_job.begin_time) or since) >= since
    ]
    if not found:
        _end_in_review(
            chunk,
            actor,
            _(
                "No sign that the cloud received this chunk (no job for its desktops). Check "
                "the desktops, then send the disks again if they are missing."
            ),
        )
        return
    job_id = found[0].job_id
    audit = AuditEntry(
        Action.REQUEST_RECONCILED,
        Outcome.SUCCESS,
        {"decision": Status.RUNNING, "finding": f"found job {job_id}", "batch_id": chunk.batch_id},
    )
    deadline = now + timedelta(minutes=settings.WORKSPACE_JOB_DEADLINE_MINUTES)
    with transaction.atomic():
        chunk_update(chunk, {"job_id": job_id, "next_poll_at": now, "deadline_at": deadline})
        for request in _in_flight(chunk).filter(status=Status.SUBMITTING):
            disk_request_move(
                request,
                to=Status.RUNNING,
                actor=actor,
                audit=audit,
                changes={
                    "job_id": job_id,
                    "submitted_at": request.submitted_at or now,
                    "deadline_at": deadline,
                },
            )


def _refresh_desktops_quietly(chunk: BatchChunk, client: WorkspaceClient) -> None:
    """Show the new disks in the inventory at once: one read for the chunk, not per desktop."""
    desktop_ids = list(chunk.requests.values_list("desktop_id", flat=True))
    if not desktop_ids:
        return
    try:
        desktop_details_store(list(desktops_read(desktop_ids, client=client).values()))
    except WorkspaceError as error:
        logger.warning("could not refresh the desktops of chunk %s: %s", chunk.pk, error)


def batch_finish_if_done(*, batch: Batch) -> Batch:
    """Move a running batch to `finished` once every chunk's job has ended."""
    batch.refresh_from_db()
    if batch.status != Batch.Status.RUNNING or batch.chunks.filter(ended_at__isnull=True).exists():
        return batch
    audit = AuditEntry(Action.BATCH_FINISHED, Outcome.INFO, batch_request_counts(batch))
    try:
        return batch_move(batch, to=Batch.Status.FINISHED, actor=Actor.system(), audit=audit)
    except StaleMove:  # another poller finished it first
        batch.refresh_from_db()
        return batch


def batch_chunks_sweep(*, now: datetime | None = None) -> int:
    """Re-queue what a lost task left behind: overdue chunk polls and batches half sent.

    Nothing here calls the cloud; a duplicate task is harmless (the claims decide).
    """
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.WORKER_SWEEP_SECONDS)
    count = 0
    overdue = BatchChunk.objects.filter(ended_at__isnull=True, next_poll_at__lte=late)
    for chunk in overdue.only("pk", "next_poll_at"):
        chunk_poll_enqueue(chunk)
        count += 1
    stalled = Batch.objects.filter(
        status=Batch.Status.SENDING,
        send_after__lte=now - timedelta(seconds=SUBMIT_GRACE_SECONDS),
    )
    send_task = import_string(BATCH_SEND_TASK)
    for pk in stalled.values_list("pk", flat=True):
        send_task.enqueue(pk)
        count += 1
    return count
