"""Sending a batch's chunks: each exactly once, in one AddVolumes call.

`batch_send` (on the worker) claims each unsent chunk with a conditional UPDATE on `sent_at`
before anything else, so however many workers resume a batch, a chunk is sent at most once.
A crash between chunks leaves the rest unsent; the sweep (services.batch_polling) re-queues
the batch and the next run sends only those. Following the chunks' jobs is
services.batch_polling's business.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disks.actor import Actor, ActorAudience, Channel
from disks.client import VolumeSpec, WorkspaceClient, WorkspaceError, get_client
from disks.models import AuditEvent, Batch, BatchChunk, BatchItem, DiskRequest
from disks.services.batches import batch_key, desktop_skip_reason, desktops_read
from disks.services.lifecycle import (
    AuditEntry,
    batch_move,
    disk_request_create,
    disk_request_move,
)
from disks.services.polling import SUBMIT_GRACE_SECONDS, poll_interval_seconds
from disks.services.quotas import quotas_forget
from disks.task_queue import task_enqueue_with_transaction

logger = logging.getLogger(__name__)

Status = DiskRequest.Status
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome

# The chunk poll task, by name: its body calls services.batch_polling, which imports this.
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
    audit = AuditEntry(action, Outcome.INFO, batch_request_counts(batch))
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
        chunk_end(chunk, error_message=_("No desktop of this chunk was still ready."))
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
        chunk_update(chunk, chunk_changes)
        for request in _still_submitting(requests):
            disk_request_move(request, to=Status.RUNNING, actor=actor, audit=audit, changes=changes)
        chunk_poll_enqueue(chunk)
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
            chunk_update(
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
            chunk_poll_enqueue(chunk)
        else:
            chunk_end(chunk, error_code=error_code, error_message=error.human_message)
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


def chunk_update(chunk: BatchChunk, changes: dict) -> None:
    BatchChunk.objects.filter(pk=chunk.pk).update(**changes)
    for name, value in changes.items():
        setattr(chunk, name, value)


def chunk_end(chunk: BatchChunk, **changes) -> None:
    chunk_update(chunk, {**changes, "ended_at": timezone.now(), "next_poll_at": None})


def chunk_poll_enqueue(chunk: BatchChunk) -> None:
    """Have the worker poll this chunk at its next poll time (with the caller's transaction)."""
    task_enqueue_with_transaction(CHUNK_POLL_TASK, chunk.pk, run_after=chunk.next_poll_at)


def batch_request_counts(batch: Batch) -> dict:
    """How many of the batch's requests are in each status (only those with any)."""
    counts = {status: 0 for status in Status.values}
    for status in batch.requests.values_list("status", flat=True):
        counts[status] += 1
    return {key: value for key, value in counts.items() if value}
