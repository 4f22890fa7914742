"""A disk request's life: the moves it may make, and the one function that makes them.

Every status a request ever has is set here, by `disk_request_create` (its first status)
or `disk_request_move` (every later one). Each move is checked against ALLOWED_MOVES,
saved with a compare-and-set on the status it was read with (so two movers can never
both win), recorded in the audit history in the same transaction together with the next
poll of its cloud job (disks.task_queue), and followed, once that commits, by the
requester's email and its webhook events (disks.webhooks, for new requests too). A new
kind of operation adds rows to the table, not another copy of these steps.

The table is drawn as a state diagram in docs/design.md; a test keeps the two equal.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from disks.actor import Actor
from disks.models import AuditEvent, Batch, DiskRequest
from disks.services.audit import audit_event_record
from disks.services.notifications import requester_notify_on_commit
from disks.task_queue import task_enqueue_with_transaction
from disks.webhooks.events import batch_finished_queue_on_commit, webhook_events_queue_on_commit

Status = DiskRequest.Status

# from status (None: a new request) -> the statuses it may move to.
ALLOWED_MOVES: Final[Mapping[str | None, frozenset[str]]] = {
    None: frozenset({Status.PENDING_APPROVAL, Status.SUBMITTING}),
    Status.PENDING_APPROVAL: frozenset({Status.SUBMITTING, Status.REJECTED}),
    # submitting -> submitting: the cloud's answer was lost; the reconcile step finds out.
    Status.SUBMITTING: frozenset(
        {
            Status.SUBMITTING,
            Status.RUNNING,
            Status.SUCCEEDED,
            Status.FAILED,
            Status.NEEDS_REVIEW,
        }
    ),
    Status.RUNNING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.NEEDS_REVIEW}),
}

# What the requester's email says about a move: the new status, except where named here.
_NOTIFICATION_OF_MOVE: Final[Mapping[tuple[str, str], str]] = {
    (Status.PENDING_APPROVAL, Status.SUBMITTING): "approved",
}

# The poll task, by name: its body follows the job through services.polling, which moves
# requests through this module, so a direct import would make the two import each other.
POLL_TASK: Final = "disks.tasks.disk_job_poll_task"


class IllegalMove(Exception):
    """A move the lifecycle table does not allow: a bug in the caller, never user input."""


class StaleMove(Exception):
    """The request's status changed since it was read: someone else moved it first."""


@dataclass(frozen=True)
class AuditEntry:
    """What the audit history says about a move."""

    action: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    api_request_id: str = ""


def is_allowed(source: str | None, target: str) -> bool:
    return target in ALLOWED_MOVES.get(source, frozenset())


def _check_allowed(source: str | None, target: str) -> None:
    if not is_allowed(source, target):
        raise IllegalMove(
            f"A disk request that is {source or 'new'} cannot become {target}; "
            "see ALLOWED_MOVES in disks/services/lifecycle.py."
        )


def disk_request_create(
    *, fields: Mapping[str, Any], actor: Actor, audit: AuditEntry
) -> DiskRequest:
    """Save a new request in its first status (`fields["status"]`) with its audit event.

    Runs in a transaction of its own, or in the caller's; the database's constraints
    (one key, one in-flight request per desktop) raise IntegrityError to the caller.
    """
    _check_allowed(None, fields["status"])
    with transaction.atomic():
        disk_request = DiskRequest.objects.create(**fields)
        _record(disk_request, actor, audit)
        webhook_events_queue_on_commit(disk_request, None, disk_request.status)
    return disk_request


def disk_request_move(
    disk_request: DiskRequest,
    *,
    to: str,
    actor: Actor,
    audit: AuditEntry,
    changes: Mapping[str, Any] | None = None,
) -> DiskRequest:
    """Move a request to status `to`, with `changes` to its other fields; return it.

    1. Check the move against ALLOWED_MOVES (IllegalMove if it is not there).
    2. In one transaction: write the status and the changes only if the row still has
       the status it was read with (StaleMove if not: another mover won), record the
       audit event, and queue the worker's poll of a request that is in flight with a
       poll time. A move to a final status stamps `finished_at` and stops polling.
    3. Once that commits: email the requester of a portal request.

    The database's one-in-flight-per-desktop rule raises IntegrityError to the caller.
    """
    source = disk_request.status
    _check_allowed(source, to)
    values = {**(changes or {}), "status": to, "updated_at": timezone.now()}
    if to in DiskRequest.TERMINAL_STATUSES:
        values.setdefault("finished_at", values["updated_at"])
        values["next_poll_at"] = None
    with transaction.atomic():
        written = DiskRequest.objects.filter(pk=disk_request.pk, status=source).update(**values)
        if not written:
            raise StaleMove(f"Request #{disk_request.pk} is no longer {source}.")
        for name, value in values.items():
            setattr(disk_request, name, value)
        _record(disk_request, actor, audit)
        _follow_up_on_commit(disk_request, source)
    return disk_request


def _record(disk_request: DiskRequest, actor: Actor, audit: AuditEntry) -> AuditEvent:
    return audit_event_record(
        action=audit.action,
        outcome=audit.outcome,
        actor=actor,
        disk_request=disk_request,
        error_code=audit.error_code,
        api_request_id=audit.api_request_id,
        details=audit.details,
    )


def _follow_up_on_commit(disk_request: DiskRequest, source: str) -> None:
    target = disk_request.status
    notification = _NOTIFICATION_OF_MOVE.get((source, target), target)
    requester_notify_on_commit(disk_request, notification)
    webhook_events_queue_on_commit(disk_request, source, target)
    if target in DiskRequest.IN_FLIGHT_STATUSES and disk_request.next_poll_at is not None:
        poll_task_enqueue(disk_request)


def poll_task_enqueue(disk_request: DiskRequest) -> None:
    """Have the worker poll this request at its next poll time (queued with the caller's
    transaction: see disks.task_queue)."""
    task_enqueue_with_transaction(POLL_TASK, disk_request.pk, run_after=disk_request.next_poll_at)


def state_diagram() -> str:
    """ALLOWED_MOVES as a Mermaid state diagram (docs/design.md holds a copy; a test compares)."""
    lines = ["stateDiagram-v2"]
    for source, targets in ALLOWED_MOVES.items():
        for target in sorted(targets):
            lines.append(f"    {source or '[*]'} --> {target}")
    lines.extend(f"    {status} --> [*]" for status in sorted(DiskRequest.TERMINAL_STATUSES))
    return "\n".join(lines)


# Batches ------------------------------------------------------------------------------------
# A batch has a small life of its own (its desktops' requests follow the table above):
# previewed (a dry run, nothing sent) -> sending (submitted: chunks go out one by one) ->
# running (every chunk sent; jobs in flight) -> finished (every chunk's job has ended).

BatchStatus = Batch.Status

BATCH_ALLOWED_MOVES: Final[Mapping[str | None, frozenset[str]]] = {
    None: frozenset({BatchStatus.PREVIEWED}),
    BatchStatus.PREVIEWED: frozenset({BatchStatus.SENDING}),
    # sending -> finished: every chunk was refused, or nothing was left to send.
    BatchStatus.SENDING: frozenset({BatchStatus.RUNNING, BatchStatus.FINISHED}),
    BatchStatus.RUNNING: frozenset({BatchStatus.FINISHED}),
}

# The batch's worker task, by name (its body calls services.batches, which imports this).
BATCH_SEND_TASK: Final = "disks.tasks.batch_send_task"


def _check_batch_allowed(source: str | None, target: str) -> None:
    if target not in BATCH_ALLOWED_MOVES.get(source, frozenset()):
        raise IllegalMove(
            f"A batch that is {source or 'new'} cannot become {target}; "
            "see BATCH_ALLOWED_MOVES in disks/services/lifecycle.py."
        )


def batch_create(*, fields: Mapping[str, Any], actor: Actor, audit: AuditEntry | None) -> Batch:
    """Save a new batch in its first status (`fields["status"]`), with its audit event if any."""
    _check_batch_allowed(None, fields["status"])
    with transaction.atomic():
        batch = Batch.objects.create(**fields)
        if audit is not None:
            _record_batch(batch, actor, audit)
    return batch


def batch_move(
    batch: Batch,
    *,
    to: str,
    actor: Actor,
    audit: AuditEntry,
    changes: Mapping[str, Any] | None = None,
) -> Batch:
    """Move a batch to status `to` as disk_request_move moves a request; return it.

    Checked against BATCH_ALLOWED_MOVES, written with a compare-and-set on the status it
    was read with (StaleMove if another mover won: this is what makes a resent submit
    harmless), audited in the same transaction. A move to `sending` has the worker send the
    chunks once it commits; a move to `finished` stamps `finished_at` and, once it commits,
    delivers the `batch.finished` webhook event.
    """
    source = batch.status
    _check_batch_allowed(source, to)
    values = {**(changes or {}), "status": to}
    if to == BatchStatus.FINISHED:
        values.setdefault("finished_at", timezone.now())
    with transaction.atomic():
        written = Batch.objects.filter(pk=batch.pk, status=source).update(**values)
        if not written:
            raise StaleMove(f"Batch #{batch.pk} is no longer {source}.")
        for name, value in values.items():
            setattr(batch, name, value)
        _record_batch(batch, actor, audit)
        if to == BatchStatus.SENDING:
            batch_send_enqueue(batch)
        elif to == BatchStatus.FINISHED:
            batch_finished_queue_on_commit(batch)
    return batch


def batch_send_enqueue(batch: Batch) -> None:
    """Have the worker send the batch's unsent chunks (with the caller's transaction)."""
    task_enqueue_with_transaction(BATCH_SEND_TASK, batch.pk)


def _record_batch(batch: Batch, actor: Actor, audit: AuditEntry) -> AuditEvent:
    return audit_event_record(
        action=audit.action,
        outcome=audit.outcome,
        actor=actor,
        error_code=audit.error_code,
        api_request_id=audit.api_request_id,
        details={"batch_id": batch.pk, **audit.details},
    )
