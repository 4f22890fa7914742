"""Following a request's cloud job to its end: the poll, the lease, and the reconcile step.

Whoever polls (the worker's task, the sweep, or the status view as a fallback) first claims
the request for one period with a conditional UPDATE (`_claim`). Only the winner calls the
cloud, and it does so outside any transaction; so however many workers run and however many
browsers watch, a request is polled at most once per period.
"""

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from disks import metrics
from disks.actor import Actor
from disks.client import (
    Job,
    SubJob,
    WorkspaceClient,
    WorkspaceError,
    WorkspaceUnavailable,
    get_client,
)
from disks.models import AuditEvent, DiskRequest
from disks.services.inventory import desktop_refresh
from disks.services.lifecycle import (
    POLL_TASK,
    AuditEntry,
    disk_request_move,
    poll_task_enqueue,
)
from disks.services.operations import operation_of

logger = logging.getLogger(__name__)

Status = DiskRequest.Status
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome

MAX_BACKOFF_SECONDS = 300
# A `submitting` request younger than this may still be waiting for its answer.
SUBMIT_GRACE_SECONDS = 60
SUB_JOB_START_TOLERANCE = timedelta(minutes=2)


def poll_interval_seconds(periodic_query_minutes: int | None) -> int:
    """The poll period: periodicQueryTime when the API gave it, else the setting; capped."""
    seconds = (
        periodic_query_minutes * 60
        if periodic_query_minutes
        else settings.WORKSPACE_JOB_POLL_SECONDS
    )
    cap = settings.WORKSPACE_JOB_POLL_MAX_SECONDS
    return max(1, min(seconds, cap) if cap else seconds)


def _period(disk_request: DiskRequest) -> timedelta:
    return timedelta(seconds=disk_request.poll_interval_seconds or poll_interval_seconds(None))


def _looks_due(disk_request: DiskRequest, due_before: datetime) -> bool:
    """Due by the row as read; the claim below re-checks in the database, so no race."""
    return disk_request.next_poll_at is not None and disk_request.next_poll_at <= due_before


def _claimed(
    disk_request: DiskRequest, *, due_before: datetime, now: datetime
) -> DiskRequest | None:
    """Take the next period's poll of this request and return the row as it is now; None
    when someone else holds it (or it has left flight).

    One statement, UPDATE ... RETURNING (PostgreSQL, and SQLite since 3.35): a poll is the
    worker's most frequent write, and the claim and the read after it were two round trips.
    """
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    in_flight = sorted(DiskRequest.IN_FLIGHT_STATUSES)
    table, next_poll, status = (
        quote(DiskRequest._meta.db_table),
        quote("next_poll_at"),
        quote("status"),
    )
    statuses = ", ".join(["%s"] * len(in_flight))
    # Only quoted names and placeholders are formatted in; every value is a parameter.
    sql = f"UPDATE {table} SET {next_poll} = %s WHERE id = %s AND {status} IN ({statuses}) "  # noqa: S608
    sql += f"AND {next_poll} <= %s RETURNING *"
    params = [adapt(now + _period(disk_request)), disk_request.pk, *in_flight, adapt(due_before)]
    return next(iter(DiskRequest.objects.raw(sql, params)), None)


def disk_request_poll_if_due(
    *,
    disk_request: DiskRequest,
    actor: Actor | None = None,
    stale_only: bool = False,
    client: WorkspaceClient | None = None,
) -> DiskRequest:
    """Poll the request's job (or reconcile a lost submit) if it is due and nobody else is.

    With `stale_only` (the status view's fallback when no worker runs), it counts as due
    only when its poll is more than two periods late. The actor is the system, acting
    through the worker or, for the fallback, the web.
    """
    actor = actor or Actor.system()
    now = timezone.now()
    due_before = now - 2 * _period(disk_request) if stale_only else now
    if disk_request.is_terminal or not _looks_due(disk_request, due_before):
        return disk_request  # the common case for watchers: no write at all
    if disk_request.batch_chunk_id is not None:
        return disk_request  # its chunk's poll reads its job (services.batch_chunks)
    claimed = _claimed(disk_request, due_before=due_before, now=now)
    if claimed is None:
        return disk_request
    metrics.poll_lag_observe(disk_request.next_poll_at, now)
    # Whatever follows queues the next poll of a request still in flight, with its write: a
    # move (in the move's transaction), a job still running, a failed read's back-off.
    if claimed.status == Status.SUBMITTING:
        return disk_request_reconcile(disk_request=claimed, actor=actor, client=client)
    return disk_job_refresh(disk_request=claimed, actor=actor, client=client)


def disk_job_refresh(
    *, disk_request: DiskRequest, actor: Actor | None = None, client: WorkspaceClient | None = None
) -> DiskRequest:
    """Ask the API once about the request's job (ShowJob) and record what it says."""
    actor = actor or Actor.system()
    now = timezone.now()
    if disk_request.deadline_at and now > disk_request.deadline_at:
        return _needs_review(disk_request, actor, _deadline_reason(disk_request))
    try:
        job = (client or get_client()).show_job(disk_request.job_id)
    except WorkspaceError as error:
        return _record_poll_error(disk_request, actor, error)
    return _record_job(disk_request, actor, job, client)


def _deadline_reason(disk_request: DiskRequest) -> str:
    reason = _(
        "The job did not finish by its deadline (%(deadline)s UTC). Check the desktop's disks "
        "in the console before trying again."
    ) % {"deadline": f"{disk_request.deadline_at:%Y-%m-%d %H:%M}"}
    if disk_request.poll_error:
        reason += " " + _("The last attempt to read its status failed: %(problem)s") % {
            "problem": disk_request.poll_error
        }
    return reason


def _record_poll_error(
    disk_request: DiskRequest, actor: Actor, error: WorkspaceError
) -> DiskRequest:
    """A status read that fails is not the job failing: only a job the cloud no longer knows is.

    Anything else (an outage, a refused or garbled answer, an expired credential, which the
    client has already renewed once) is retried with a back-off, doubling up to five
    minutes, until the job's deadline; the request page says what is going on meanwhile.
    """
    if error.status == 404:
        return _needs_review(
            disk_request,
            actor,
            _(
                "The cloud no longer knows job %(job)s, so its outcome cannot be "
                "read. Check the desktop's disks before trying again."
            )
            % {"job": disk_request.job_id},
            error=error,
        )
    disk_request.poll_failures += 1
    disk_request.poll_error = _poll_error_words(error)
    backoff = min(
        _period(disk_request).total_seconds() * 2**disk_request.poll_failures, MAX_BACKOFF_SECONDS
    )
    disk_request.last_polled_at = timezone.now()
    disk_request.next_poll_at = disk_request.last_polled_at + timedelta(seconds=backoff)
    fields = ["poll_failures", "poll_error", "last_polled_at", "next_poll_at", "updated_at"]
    return _save_and_queue_next_poll(disk_request, fields)


def _save_and_queue_next_poll(disk_request: DiskRequest, fields: list[str]) -> DiskRequest:
    """Record a poll that leaves the request in flight, then queue its next poll.

    Two autocommits rather than one transaction: BEGIN and COMMIT would be two more round
    trips on every poll, the worker's most frequent work, to save one flush of the log. A
    worker that dies between the two leaves the request to the sweep, which re-queues it.
    """
    disk_request.save(update_fields=fields)
    poll_task_enqueue(disk_request)
    return disk_request


def _poll_error_words(error: WorkspaceError) -> str:
    if isinstance(error, WorkspaceUnavailable):
        return _("The cloud is not answering just now (%(problem)s); trying again shortly.") % {
            "problem": error.human_message
        }
    reference = ", ".join(part for part in (error.error_code, error.request_id) if part)
    problem = f"{error.human_message}; {reference}" if reference else error.human_message
    return _(
        "The cloud did not report on the job just now (%(problem)s); the job itself may be "
        "fine. Trying again shortly."
    ) % {"problem": problem}


def _record_job(disk_request: DiskRequest, actor: Actor, job: Job, client) -> DiskRequest:
    now = timezone.now()
    changes = {
        "job_status": job.status,
        "sub_jobs": [_sub_job_summary(sub_job) for sub_job in job.sub_jobs],
        "last_polled_at": now,
        "poll_failures": 0,
        "poll_error": "",
        **_progress(disk_request, job, now),
    }
    if job.succeeded:
        target = Status.SUCCEEDED
    elif job.failed:
        target = Status.FAILED
        changes["error_code"], changes["error_message"] = _job_failure(disk_request, job)
    else:
        for name, value in changes.items():
            setattr(disk_request, name, value)
        return _save_and_queue_next_poll(disk_request, [*changes, "updated_at"])
    disk_request = _move_with_job_event(disk_request, actor, target, changes)
    if disk_request.status == Status.SUCCEEDED:
        _refresh_desktop_quietly(disk_request, client)
    return disk_request


def _sub_job_summary(sub_job: SubJob) -> dict:
    return dataclasses.asdict(sub_job)


def _progress(disk_request: DiskRequest, job: Job, now: datetime) -> dict:
    if job.succeeded:
        return {"progress": 100, "progress_is_estimate": False}
    if job.progress is not None:
        return {"progress": job.progress, "progress_is_estimate": False}
    if disk_request.submitted_at:
        return {"progress": estimated_progress(disk_request, now), "progress_is_estimate": True}
    return {}


def estimated_progress(disk_request: DiskRequest, now: datetime) -> int:
    """Guess progress from elapsed time against min/maxProvisionTime; never claims 100."""
    elapsed = (now - (disk_request.submitted_at or now)).total_seconds() / 60
    low = disk_request.min_provision_minutes or 1
    high = max(disk_request.max_provision_minutes or settings.WORKSPACE_JOB_DEADLINE_MINUTES, low)
    if elapsed <= low:
        return int(50 * elapsed / low)
    return min(95, int(50 + 45 * (elapsed - low) / max(high - low, 1)))


def _job_failure(disk_request: DiskRequest, job: Job) -> tuple[str, str]:
    failed = [sub_job for sub_job in job.sub_jobs if sub_job.status != "SUCCESS"]
    code = job.job_error_code or next((s.error_code for s in failed if s.error_code), "")
    reasons = [job.fail_reason] + [s.fail_reason for s in failed]
    reason = "; ".join(dict.fromkeys(r for r in reasons if r)) or _("The cloud gave no reason.")
    return code, str(operation_of(disk_request).failure) % {"reason": reason}


_JOB_OUTCOMES: dict[str, str] = {Status.SUCCEEDED: Outcome.SUCCESS, Status.FAILED: Outcome.FAILURE}


def _move_with_job_event(
    disk_request: DiskRequest, actor: Actor, target: str, changes: dict
) -> DiskRequest:
    """Move the request as its job says, recorded as a job status change."""
    audit = AuditEntry(
        Action.JOB_STATUS_CHANGED,
        _JOB_OUTCOMES.get(target, Outcome.INFO),
        {
            "from": disk_request.status,
            "to": target,
            "job_id": changes.get("job_id", disk_request.job_id),
            "job_status": changes.get("job_status", disk_request.job_status),
            "reason": changes.get("error_message", disk_request.error_message),
            **_done_details(disk_request, target),
        },
        error_code=changes.get("error_code", disk_request.error_code),
    )
    return disk_request_move(disk_request, to=target, actor=actor, audit=audit, changes=changes)


def _done_details(disk_request: DiskRequest, target: str) -> dict:
    """What a success event keeps of the change (a deletion: exactly which disks went)."""
    if target != Status.SUCCEEDED:
        return {}
    return operation_of(disk_request).done_details(disk_request)


def _refresh_desktop_quietly(disk_request: DiskRequest, client) -> None:
    """Show the new disks at once; a failure here only delays that until the next sync."""
    try:
        desktop_refresh(desktop_id=disk_request.desktop_id, client=client)
    except WorkspaceError as error:
        logger.warning("could not refresh desktop %s: %s", disk_request.desktop_id, error)


def _needs_review(
    disk_request: DiskRequest, actor: Actor, reason: str, *, error: WorkspaceError | None = None
) -> DiskRequest:
    changes = {"error_message": reason}
    if error is not None:
        changes["error_code"] = error.error_code or f"HTTP {error.status}"
        changes["api_request_id"] = error.request_id or disk_request.api_request_id
    return _move_with_job_event(disk_request, actor, Status.NEEDS_REVIEW, changes)


# Reconcile ---------------------------------------------------------------------------------


def disk_request_reconcile(
    *, disk_request: DiskRequest, actor: Actor | None = None, client: WorkspaceClient | None = None
) -> DiskRequest:
    """Find out what became of a request left in `submitting`; never send it again.

    1. Too young: its answer may still be on the way; look again next period.
    2. A sub-job of the request's kind (addVolumes, expandVolumes, deleteVolumes) for this desktop that began after
       the request was saved (ListItaSubJobs) is its job: follow it (`running`).
    3. Otherwise the desktop tells (as the kind's Operation reads it): done ->
       `succeeded`; anything else -> `needs_review`, with what was seen.
    """
    actor = actor or Actor.system()
    client = client or get_client()
    now = timezone.now()
    if (now - disk_request.created_at).total_seconds() < SUBMIT_GRACE_SECONDS:
        poll_task_enqueue(disk_request)  # its answer may still come: look again next period
        return disk_request
    try:
        sub_job = _find_sub_job(disk_request, client)
        desktop = (
            None if sub_job else desktop_refresh(desktop_id=disk_request.desktop_id, client=client)
        )
    except WorkspaceError as error:
        return (
            _record_poll_error(disk_request, actor, error)
            if isinstance(error, WorkspaceUnavailable)
            else _needs_review(
                disk_request,
                actor,
                _("Could not check the request with the cloud: %(problem)s")
                % {"problem": error.human_message},
                error=error,
            )
        )
    if sub_job is not None:
        return _reconciled(
            disk_request, actor, Status.RUNNING, f"found job {sub_job.job_id}", sub_job
        )
    assert desktop is not None  # read whenever no job was found
    if operation_of(disk_request).done_on(disk_request, desktop):
        return _reconciled(
            disk_request,
            actor,
            Status.SUCCEEDED,
            _("the desktop shows it done (%(count)s data disks now)")
            % {"count": desktop.data_volume_count},
        )
    return _reconciled(
        disk_request,
        actor,
        Status.NEEDS_REVIEW,
        (
            _(
                "No sign that the cloud received the request (no job, no change to the disks, "
                "desktop task: %(task)s). Check the desktop's disks, then submit again if the "
                "change is missing."
            )
            % {"task": desktop.task_status}
            if desktop.task_status
            else _(
                "No sign that the cloud received the request (no job, no change to the disks). "
                "Check the desktop's disks, then submit again if the change is missing."
            )
        ),
    )


def _find_sub_job(disk_request: DiskRequest, client: WorkspaceClient) -> SubJob | None:
    page = client.list_ita_sub_jobs(job_type=operation_of(disk_request).job_type, limit=100)
    since = disk_request.created_at - SUB_JOB_START_TOLERANCE
    candidates = [
        sub_job
        for sub_job in page.jobs
        if sub_job.desktop_id == disk_request.desktop_id
        and (_api_time(sub_job.begin_time) or since) >= since
    ]
    return max(candidates, key=lambda sub_job: sub_job.begin_time, default=None)


def _api_time(text: str) -> datetime | None:
    """Parse the job API's `2020-04-10 06:45:14` (UTC, no zone) form; None if unreadable."""
    try:
        return datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=UTC)
    except ValueError:
        return None


def _reconciled(
    disk_request: DiskRequest,
    actor: Actor,
    status: str,
    finding: str,
    sub_job: SubJob | None = None,
) -> DiskRequest:
    now = timezone.now()
    changes: dict = {}
    if sub_job is not None:
        changes = {
            "job_id": sub_job.job_id,
            "submitted_at": disk_request.submitted_at or now,
            "poll_interval_seconds": poll_interval_seconds(None),
            "next_poll_at": now,
            "deadline_at": now + timedelta(minutes=settings.WORKSPACE_JOB_DEADLINE_MINUTES),
        }
    elif status == Status.NEEDS_REVIEW:
        changes["error_message"] = finding
    else:
        changes["progress"] = 100
    audit = AuditEntry(
        Action.REQUEST_RECONCILED,
        Outcome.SUCCESS if status != Status.NEEDS_REVIEW else Outcome.FAILURE,
        {"decision": status, "finding": finding, **_done_details(disk_request, status)},
    )
    return disk_request_move(disk_request, to=status, actor=actor, audit=audit, changes=changes)


# The sweep -------------------------------------------------------------------------------


def _polls_waiting_in_queue(now: datetime) -> set[int]:
    """Requests whose poll task is due and waiting for a worker (django-tasks-db only).

    Such a task is late because every worker is busy, not lost. Re-queuing it would add a
    task that only finds the period claimed, and under a backlog (thousands of requests in
    flight) the sweep would add one for every late request each time it runs, making the
    backlog longer. A task claimed by a worker that died stays RUNNING, not READY: its request
    is still re-queued. With another task backend, nothing is known to wait: re-queue all.
    """
    if settings.TASKS.get("default", {}).get("BACKEND") != "django_tasks_db.DatabaseBackend":
        return set()
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=POLL_TASK, run_after__lte=now
    ).values_list("args_kwargs", flat=True)
    return {args["args"][0] for args in queued if args.get("args")}


def disk_requests_sweep(*, now: datetime | None = None) -> int:
    """Make sure every unfinished request is being followed; return how many were re-queued.

    The row, not the queue, holds the truth: a task lost with a killed worker or a wiped
    queue shows as a request whose poll is overdue. Each gets a fresh poll task (a
    duplicate is harmless: only the task that claims the period calls the cloud). A
    `submitting` row left by a crash before its answer was saved has no poll time yet; it
    gets one, so that the reconcile step looks at it. Nothing here calls the cloud.
    """
    now = now or timezone.now()
    crashed = list(
        DiskRequest.objects.filter(
            status=Status.SUBMITTING,
            next_poll_at__isnull=True,
            # A batch's requests are followed by their chunk (services.batch_chunks).
            batch_chunk__isnull=True,
            created_at__lte=now - timedelta(seconds=SUBMIT_GRACE_SECONDS),
        ).values_list("pk", flat=True)
    )
    DiskRequest.objects.filter(pk__in=crashed).update(next_poll_at=now)
    late = now - timedelta(seconds=settings.WORKER_SWEEP_SECONDS)
    overdue = DiskRequest.objects.filter(
        Q(pk__in=crashed)
        | Q(
            status__in=DiskRequest.IN_FLIGHT_STATUSES,
            next_poll_at__lte=late,
            batch_chunk__isnull=True,
        )
    ).only("pk", "next_poll_at")
    waiting = _polls_waiting_in_queue(now)
    count = 0
    for disk_request in overdue.iterator():
        if disk_request.pk in waiting:
            continue  # not lost: the workers are behind, and a duplicate would put them further back
        poll_task_enqueue(disk_request)
        count += 1
    if count:
        logger.info("sweep: re-queued %d overdue requests", count)
    return count
