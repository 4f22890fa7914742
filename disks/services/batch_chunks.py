"""A batch's chunks: each sent once in one AddVolumes call, and followed through its one job.

Sending (`batch_send`, on the worker): each unsent chunk is claimed with a conditional
UPDATE on `sent_at` before anything else, so however many workers resume a batch, a chunk is
sent at most once. A crash between chunks leaves the rest unsent; the sweep re-queues the
batch and the next run sends only those.

Following (`batch_chunk_poll_if_due`): a chunk's period is claimed as a single request's is
(services.polling `_claim`), and the winner reads the chunk's job once (ShowJob, with every
sub-job) and moves each of the chunk's requests through the lifecycle. So a batch of 1,000
desktops costs 10 status calls per period, not 1,000. The per-request poll and sweep leave
batch requests alone (they have no poll time of their own).
"""

import dataclasses
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from disks.actor import Actor, ActorAudience, Channel
from disks.client import Job, SubJob, VolumeSpec, WorkspaceClient, WorkspaceError, get_client
from disks.client.timestamps import parse_api_time
from disks.models import AuditEvent, Batch, BatchChunk, BatchItem, DiskRequest
from disks.services.batches import batch_key, desktop_skip_reason, desktops_read
from disks.services.inventory import desktop_details_store
from disks.services.lifecycle import (
    AuditEntry,
    StaleMove,
    batch_move,
    disk_request_create,
    disk_request_move,
)
from disks.services.polling import (
    MAX_BACKOFF_SECONDS,
    SUB_JOB_START_TOLERANCE,
    SUBMIT_GRACE_SECONDS,
    poll_interval_seconds,
)
from disks.services.quotas import quotas_forget

logger = logging.getLogger(__name__)

Status = DiskRequest.Status
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome

CHUNK_POLL_TASK = "disks.tasks.batch_chunk_poll_task"
ADD_JOB_TYPE = "addVolumes"


def batch_actor(batch: Batch) -> Actor:
    """Who the worker acts for when it sends a batch: its submitter, through the worker."""
    return Actor(
        user=batch.created_by,
        username=batch.created_by_username,
        audience=ActorAudience.HELPDESK,
        channel=Channel.WORKER,
    )


# Sending -----------------------------------------------------------------------------------


def batch_send(*, batch: Batch, client: WorkspaceClient | None = None) -> Batch:
    """Send every chunk of a `sending` batch that is not sent yet, in order; return the batch."""
    if batch.status != Batch.Status.SENDING:
        return batch
    client = client or get_client()
    for chunk in batch.chunks.filter(sent_at__isnull=True).order_by("number"):
        batch_chunk_send(chunk=chunk, client=client)
    quotas_forget()
    batch.refresh_from_db()
    if not batch.chunks.filter(sent_at__isnull=True).exists():
        batch = _batch_sent(batch)
    return batch


def _batch_sent(batch: Batch) -> Batch:
    """Every chunk is out: the batch runs, or has finished if no chunk has a job to follow."""
    if batch.status != Batch.Status.SENDING:
        return batch
    chunks = batch.chunks.all()
    running = [chunk for chunk in chunks if not chunk.is_ended]
    to = Batch.Status.RUNNING if running else Batch.Status.FINISHED
    action = Action.BATCH_SENT if running else Action.BATCH_FINISHED
    audit = AuditEntry(action, Outcome.INFO, _batch_counts(batch))
    return batch_move(batch, to=to, actor=Actor.system(), audit=audit)


def batch_chunk_send(*, chunk: BatchChunk, client: WorkspaceClient) -> BatchChunk:
    """Send one chunk, exactly once (see the module's docstring).

    1. Re-read its desktops (one ListDesktopsDetail call): a desktop that changed since the
       preview is skipped now, since the cloud refuses a whole AddVolumes call for one bad
       desktop. If the read fails, the cloud's own checks stand.
    2. In one transaction: claim the chunk (`sent_at`), and save a `submitting` request per
       desktop, with its audit event. The one-in-flight-per-desktop rule skips a desktop
       that another request took meanwhile.
    3. Call AddVolumes, outside any transaction.
    4. Record the answer on the chunk and on every request: `running` with the job, or
       `failed` with the cloud's words; a lost answer leaves them `submitting` for the
       chunk's reconcile step, which never sends again.
    """
    batch = chunk.batch
    items = list(chunk.items.all())
    try:
        details = desktops_read([item.desktop_id for item in items], client=client)
    except WorkspaceError as error:
        logger.warning("batch %s chunk %s: no re-read (%s)", batch.pk, chunk.number, error)
        details = None
    requests = _claim_and_record(chunk, items, details)
    if requests is None:
        return chunk  # another worker has sent it
    if not requests:
        _chunk_end(chunk, error_message=_("No desktop of this chunk was still ready."))
        return chunk
    volumes = [VolumeSpec(**volume) for volume in batch.volumes]
    try:
        result = client.add_volumes({request.desktop_id: volumes for request in requests})
    except WorkspaceError as error:
        return _record_chunk_error(chunk, requests, error, batch_actor(batch))
    return _record_chunk_accepted(chunk, requests, result, batch_actor(batch))


def _claim_and_record(chunk, items, details) -> list[DiskRequest] | None:
    batch = chunk.batch
    actor = batch_actor(batch)
    new_disks = len(batch.volumes)
    with transaction.atomic():
        # The poll time makes the reconcile step look at it, should this worker die before
        # the answer is recorded (which overwrites it).
        now = timezone.now()
        claimed = BatchChunk.objects.filter(pk=chunk.pk, sent_at__isnull=True).update(
            sent_at=now, next_poll_at=now + timedelta(seconds=SUBMIT_GRACE_SECONDS)
        )
        if not claimed:
            return None
        chunk.refresh_from_db()
        requests = []
        for item in items:
            detail = details.get(item.desktop_id) if details is not None else None
            reason = desktop_skip_reason(detail, new_disks) if details is not None else ""
            request = None if reason else _record_request(batch, chunk, item, detail, actor)
            if request is None:
                _skip(item, reason or _in_flight_now(item.desktop_id))
            else:
                requests.append(request)
    return requests


def _record_request(batch, chunk, item, detail, actor) -> DiskRequest | None:
    fields = {
        "desktop_id": item.desktop_id,
        "desktop_name": (detail.computer_name if detail else item.desktop_name)[:64],
        "volumes": batch.volumes,
        "enterprise_project_id": (detail.enterprise_project_id if detail else "") or "0",
        "audience": DiskRequest.Audience.HELPDESK,
        "status": Status.SUBMITTING,
        "idempotency_key": batch_key(batch, item.desktop_id),
        "requested_by": batch.created_by,
        "requested_by_username": batch.created_by_username,
        "data_disks_before": len(detail.data_volumes) if detail else item.data_disks,
        "batch": batch,
        "batch_chunk": chunk,
    }
    audit = AuditEntry(
        Action.REQUEST_SUBMITTED,
        Outcome.PENDING,
        {"volumes": batch.volumes, "batch_id": batch.pk, "chunk": chunk.number},
    )
    try:
        return disk_request_create(fields=fields, actor=actor, audit=audit)
    except IntegrityError:
        return None  # another request for this desktop became in flight: skipped


def _in_flight_now(desktop_id: str) -> str:
    other = DiskRequest.objects.filter(
        desktop_id=desktop_id, status__in=DiskRequest.IN_FLIGHT_STATUSES
    ).first()
    if other is None:
        return _("It could not be recorded; try it again in a new batch.")
    return _("Request #%(pk)s is already changing its disks.") % {"pk": other.pk}


def _skip(item: BatchItem, reason: str) -> None:
    item.skip_reason = reason
    item.save(update_fields=["skip_reason"])


def _record_chunk_accepted(chunk, requests, result, actor) -> BatchChunk:
    now = timezone.now()
    interval = poll_interval_seconds(result.periodic_query_minutes)
    deadline = now + timedelta(
        minutes=result.max_provision_minutes or settings.WORKSPACE_JOB_DEADLINE_MINUTES
    )
    chunk_changes = {
        "job_id": result.job_id,
        "api_request_id": result.request_id or "",
        "poll_interval_seconds": interval,
        "next_poll_at": now + timedelta(seconds=interval),
        "deadline_at": deadline,
    }
    changes = {
        "job_id": result.job_id,
        "api_request_id": result.request_id or "",
        "submitted_at": now,
        "poll_interval_seconds": interval,
        "deadline_at": deadline,
        "progress": 0,
    }
    audit = AuditEntry(
        Action.REQUEST_ACCEPTED,
        Outcome.SUCCESS,
        {"job_id": result.job_id, "batch_id": chunk.batch_id},
        api_request_id=result.request_id or "",
    )
    with transaction.atomic():
        _update_chunk(chunk, chunk_changes)
        for request in _still_submitting(requests):
            disk_request_move(request, to=Status.RUNNING, actor=actor, audit=audit, changes=changes)
        _poll_enqueue_on_commit(chunk)
    return chunk


def _record_chunk_error(chunk, requests, error: WorkspaceError, actor) -> BatchChunk:
    error_code = error.error_code or (f"HTTP {error.status}" if error.status else "")
    changes = {"error_code": error_code, "api_request_id": error.request_id or ""}
    details = {"status": error.status, "message": error.human_message, "batch_id": chunk.batch_id}
    with transaction.atomic():
        if error.outcome_unknown:
            message = _(
                "%(error)s. The cloud may or may not have started adding the disks; this chunk "
                "is being checked and will not be sent again."
            ) % {"error": error.human_message}
            _update_chunk(
                chunk,
                {
                    **changes,
                    "error_message": message,
                    "next_poll_at": timezone.now() + timedelta(seconds=SUBMIT_GRACE_SECONDS),
                },
            )
            audit = AuditEntry(Action.REQUEST_OUTCOME_UNKNOWN, Outcome.PENDING, details, error_code)
            for request in _still_submitting(requests):
                disk_request_move(
                    request,
                    to=Status.SUBMITTING,
                    actor=actor,
                    audit=audit,
                    changes={**changes, "error_message": message},
                )
            _poll_enqueue_on_commit(chunk)
        else:
            _chunk_end(chunk, error_code=error_code, error_message=error.human_message)
            audit = AuditEntry(Action.REQUEST_REFUSED, Outcome.FAILURE, details, error_code)
            for request in _still_submitting(requests):
                disk_request_move(
                    request,
                    to=Status.FAILED,
                    actor=actor,
                    audit=audit,
                    changes={**changes, "error_message": error.human_message},
                )
    return chunk


def _still_submitting(requests: list[DiskRequest]) -> list[DiskRequest]:
    """The requests no one else has moved meanwhile (a reconcile that ran while the call hung)."""
    return list(
        DiskRequest.objects.filter(
            pk__in=[request.pk for request in requests], status=Status.SUBMITTING
        ).order_by("pk")
    )


def _update_chunk(chunk: BatchChunk, changes: dict) -> None:
    BatchChunk.objects.filter(pk=chunk.pk).update(**changes)
    for name, value in changes.items():
        setattr(chunk, name, value)


def _chunk_end(chunk: BatchChunk, **changes) -> None:
    _update_chunk(chunk, {**changes, "ended_at": timezone.now(), "next_poll_at": None})


def _poll_enqueue_on_commit(chunk: BatchChunk) -> None:
    run_after, pk = chunk.next_poll_at, chunk.pk
    transaction.on_commit(
        lambda: import_string(CHUNK_POLL_TASK).using(run_after=run_after).enqueue(pk)
    )


# Following ---------------------------------------------------------------------------------


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
        with transaction.atomic():
            _poll_enqueue_on_commit(chunk)
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
        _update_chunk(chunk, changes)


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
        _chunk_end(chunk, error_message=reason)


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
    _update_chunk(
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
        _update_chunk(chunk, {"job_id": job_id, "next_poll_at": now, "deadline_at": deadline})
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


# The batch as a whole ----------------------------------------------------------------------


def _batch_counts(batch: Batch) -> dict:
    counts = {status: 0 for status in Status.values}
    for status in batch.requests.values_list("status", flat=True):
        counts[status] += 1
    return {key: value for key, value in counts.items() if value}


def batch_finish_if_done(*, batch: Batch) -> Batch:
    """Move a running batch to `finished` once every chunk's job has ended."""
    batch.refresh_from_db()
    if batch.status != Batch.Status.RUNNING or batch.chunks.filter(ended_at__isnull=True).exists():
        return batch
    audit = AuditEntry(Action.BATCH_FINISHED, Outcome.INFO, _batch_counts(batch))
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
        with transaction.atomic():
            _poll_enqueue_on_commit(chunk)
        count += 1
    stalled = Batch.objects.filter(
        Q(send_after__lte=now - timedelta(seconds=SUBMIT_GRACE_SECONDS)),
        status=Batch.Status.SENDING,
    )
    send_task = import_string("disks.tasks.batch_send_task")
    for pk in stalled.values_list("pk", flat=True):
        send_task.enqueue(pk)
        count += 1
    return count
