"""Disk requests: check, record, and send to the cloud exactly once."""

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from disks import rules
from disks.actor import Actor
from disks.client import (
    VolumeJobResult,
    VolumeSpec,
    WorkspaceClient,
    WorkspaceError,
    get_client,
)
from disks.models import AuditEvent, Desktop, DiskRequest
from disks.services.inventory import desktop_refresh
from disks.services.lifecycle import AuditEntry, disk_request_create, disk_request_move
from disks.services.operations import OPERATIONS, Operation, operation_of
from disks.services.polling import poll_interval_seconds
from disks.services.quotas import QuotaCheck, quotas_forget, quotas_read

Status = DiskRequest.Status
Kind = DiskRequest.Kind
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


# What a request's disks may be given as: the add form's VolumeSpecs, or plain dicts in the
# shape of DiskRequest.volumes for its kind (expand and delete need only volume_id, and
# new_size; disk_request_record completes them from the desktop as read).
Volumes = Sequence[VolumeSpec] | Sequence[Mapping[str, Any]]


def volumes_as_json(volumes: Volumes) -> list[dict[str, Any]]:
    return [v.to_json() if isinstance(v, VolumeSpec) else dict(v) for v in volumes]


def disk_request_submit(
    *,
    desktop_id: str,
    volumes: Volumes,
    actor: Actor,
    idempotency_key,
    enterprise_project_id: str | None = None,
    client: WorkspaceClient | None = None,
    kind: str = Kind.ADD,
) -> DiskRequest:
    """Change a desktop's disks for `actor` (add by default, or `kind`); return the request,
    whatever the cloud answered.

    1. A key seen before returns that request: a double click, a refresh or a resent POST
       never reaches the cloud twice.
    2. Re-read the desktop from the API and check it can take the change (ValidationError,
       in words a person can act on, if not).
    3. Save the request as `submitting`, with its audit event, and commit. The database
       admits one in-flight request per desktop, whatever its kind, so a concurrent submit
       stops here.
    4. Send it (disk_request_send), outside any transaction.
    """
    existing = disk_request_with_key(actor=actor, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    client = client or get_client()
    desktop = desktop_checked_unless_sent(
        actor=actor,
        idempotency_key=idempotency_key,
        desktop_id=desktop_id,
        volumes=volumes,
        client=client,
        kind=kind,
    )
    if isinstance(desktop, DiskRequest):
        return desktop
    # New disks count against the tenant's quota here; an expand checks its GB in
    # services.volume_changes, and a delete frees room.
    problem = (
        quota_problem(
            volumes=[v if isinstance(v, VolumeSpec) else VolumeSpec(**v) for v in volumes],
            actor=actor,
            client=client,
        )
        if kind == DiskRequest.Kind.ADD
        else None
    )
    if problem:
        raise ValidationError(problem, code="over_quota")
    disk_request, created = disk_request_record(
        desktop=desktop,
        volumes=volumes,
        actor=actor,
        idempotency_key=idempotency_key,
        enterprise_project_id=enterprise_project_id or desktop.enterprise_project_id or "0",
        kind=kind,
    )
    if not created:
        return disk_request
    return disk_request_send(disk_request=disk_request, actor=actor, client=client)


def quota_problem(
    *, volumes: Sequence[VolumeSpec], actor: Actor, client: WorkspaceClient
) -> str | None:
    """Why these disks would pass the tenant's quota (cached), in words; None if they fit.

    A quota that cannot be read is no reason to refuse: the cloud checks it anyway. The
    portal's words name no numbers: end users see nothing of the tenant's quota.
    """
    # Not kept in the cache when read from the cloud: if these disks fit, the submit sends
    # them and forgets the quotas (their `used` grows); if not, the form shown again reads
    # them for its quota line.
    quotas = quotas_read(client=client, keep=False)
    if quotas is None:
        return None
    check = QuotaCheck(quotas, len(volumes), sum(volume.size for volume in volumes))
    if check.fits:
        return None
    if actor.audience == AuditEvent.Audience.PORTAL:
        return _(
            "These disks cannot be added just now: the organisation's disk allowance is used "
            "up. Please contact the helpdesk."
        )
    return _("This request would pass the quota: %(shortfall)s.") % {"shortfall": check.shortfall()}


def disk_request_with_key(*, actor: Actor, idempotency_key) -> DiskRequest | None:
    """The actor's own request sent with this key, if any.

    A key is scoped to its requester: someone else's key starts a request of its own and
    never shows them another person's.
    """
    return DiskRequest.objects.filter(
        idempotency_key=idempotency_key, requested_by_username=actor.username
    ).first()


def desktop_checked_unless_sent(
    *,
    actor: Actor,
    idempotency_key,
    desktop_id: str,
    volumes: Volumes,
    client: WorkspaceClient,
    kind: str = Kind.ADD,
) -> Desktop | DiskRequest:
    """Check the desktop as desktop_checked_for_disks does, unless the key was sent meanwhile.

    A double click sends the same key twice at once: the first saves its request while the
    second is still checking, and would then find "a request in flight" (its own twin).
    So before refusing, look for the key again, and return its request if it is there.
    """
    try:
        return desktop_checked_for_disks(
            desktop_id=desktop_id, volumes=volumes, client=client, kind=kind
        )
    except ValidationError:
        twin = disk_request_with_key(actor=actor, idempotency_key=idempotency_key)
        if twin is not None:
            return twin
        raise


def desktop_checked_for_disks(
    *, desktop_id: str, volumes: Volumes, client: WorkspaceClient, kind: str = Kind.ADD
) -> Desktop:
    """Refresh the desktop from the API; raise ValidationError unless it can take the change.

    Common to every kind: the desktop is ACTIVE and idle, and no request of any kind is in
    flight for it. The kind's own checks are its Operation's `problems`.
    """
    try:
        desktop = desktop_refresh(desktop_id=desktop_id, client=client)
    except WorkspaceError as error:
        raise ValidationError(
            _("Could not read the desktop from the cloud: %(problem)s %(reference)s")
            % {"problem": error.human_message, "reference": _error_reference(error)},
            code="desktop_unreadable",
        ) from error
    operation = OPERATIONS[kind]
    problems = _desktop_problems(desktop, operation)
    problems += operation.problems(desktop, volumes_as_json(volumes), client)
    in_flight = DiskRequest.objects.filter(
        desktop_id=desktop_id, status__in=DiskRequest.IN_FLIGHT_STATUSES
    ).first()
    if in_flight is not None:
        problems.append(_in_flight_message(in_flight))
    if problems:
        raise ValidationError(problems)
    return desktop


# Whole sentences per kind of request, so that each language can order its own words.
def _desktop_problems(desktop: Desktop, operation: Operation) -> list[str]:
    problems = []
    if desktop.status != rules.DESKTOP_STATUS_READY:
        status = desktop.status or _("in an unknown state")
        problems.append(str(operation.not_running) % {"status": status})
    if desktop.task_status:
        problems.append(
            _("The desktop is busy (%(task)s): wait until that task has finished, then try again.")
            % {"task": desktop.task_status}
        )
    return problems


def _in_flight_message(in_flight: DiskRequest) -> str:
    return str(operation_of(in_flight).in_flight) % {"pk": in_flight.pk}


# What each way of recording a new request writes to the audit history.
_CREATED_EVENTS: dict[str, tuple[str, str]] = {
    Status.SUBMITTING: (Action.REQUEST_SUBMITTED, Outcome.PENDING),
    Status.PENDING_APPROVAL: (Action.REQUEST_PENDING_APPROVAL, Outcome.PENDING),
}


def disk_request_record(
    *,
    desktop: Desktop,
    volumes: Volumes,
    actor: Actor,
    idempotency_key,
    enterprise_project_id: str,
    status: str = Status.SUBMITTING,
    kind: str = Kind.ADD,
) -> tuple[DiskRequest, bool]:
    """Save a new request (`submitting`, or held for approval) with its audit event.

    The disks are recorded as the kind's Operation completes them from `desktop` (an
    expand's size before, a deletion's type, size and device), so the audit event says
    exactly which disks the request is about. Returns (request, created). The same key
    posted twice at once returns the first one's request; a `submitting` request that
    another in-flight one beat to the database's one-per-desktop rule is refused with a
    ValidationError.
    """
    action, outcome = _CREATED_EVENTS[status]
    recorded = OPERATIONS[kind].recorded(desktop, volumes_as_json(volumes))
    details: dict = {"volumes": recorded}
    if kind != Kind.ADD:
        details = {"kind": kind, **details}
    if status == Status.PENDING_APPROVAL:
        details["total_gb"] = sum(volume["size"] for volume in recorded)
        if kind == Kind.EXPAND:
            details["added_gb"] = sum(v["new_size"] - v["size"] for v in recorded)
    if actor.audience == AuditEvent.Audience.PORTAL:
        # End users never choose where a disk is billed: always the desktop's own project.
        enterprise_project_id = desktop.enterprise_project_id or "0"
    fields = {
        "desktop_id": desktop.desktop_id,
        "desktop_name": desktop.computer_name,
        "kind": kind,
        "volumes": recorded,
        "enterprise_project_id": enterprise_project_id,
        "audience": _REQUEST_AUDIENCE[actor.audience],
        "status": status,
        "idempotency_key": idempotency_key,
        "requested_by": actor.user,
        "requested_by_username": actor.username,
        # Counted when it is sent: approval re-reads the desktop and sets it then.
        "data_disks_before": desktop.data_volume_count if status == Status.SUBMITTING else None,
    }
    try:
        disk_request = disk_request_create(
            fields=fields, actor=actor, audit=AuditEntry(action, outcome, details)
        )
    except IntegrityError:
        # Either the same key won a race (return its request) or another request for
        # this desktop became in flight since the check above.
        existing = disk_request_with_key(actor=actor, idempotency_key=idempotency_key)
        if existing is not None:
            return existing, False
        in_flight = DiskRequest.objects.filter(
            desktop_id=desktop.desktop_id, status__in=DiskRequest.IN_FLIGHT_STATUSES
        ).first()
        raise ValidationError(
            _in_flight_message(in_flight) if in_flight else _("Please try again.")
        ) from None
    return disk_request, True


# A request belongs to the audience it was asked through.
_REQUEST_AUDIENCE = {
    AuditEvent.Audience.HELPDESK: DiskRequest.Audience.HELPDESK,
    AuditEvent.Audience.PORTAL: DiskRequest.Audience.PORTAL,
}


def disk_request_send(
    *, disk_request: DiskRequest, actor: Actor, client: WorkspaceClient | None = None
) -> DiskRequest:
    """Send a `submitting` request (its kind's cloud call) and record the answer.

    The call happens outside any transaction (it may take seconds). What can go wrong
    between the call and the save below (a crash, a lost answer) leaves the request in
    `submitting`; the reconcile step (services.polling) finds out what happened upstream
    and never sends it again.
    """
    client = client or get_client()
    # The events of a request belong to the audience it was asked through, also when a
    # helpdesk member's approval sends a portal request.
    actor = actor.through(AuditEvent.Audience(disk_request.audience))
    try:
        result = operation_of(disk_request).send(client, disk_request)
    except WorkspaceError as error:
        return _record_send_error(disk_request, error, actor)
    finally:
        # Sent from a form, the API or an approval, it may have spent quota: the next
        # quota line and check read the cloud again.
        quotas_forget()
    return _record_accepted(disk_request, result, actor)


def _record_accepted(
    disk_request: DiskRequest, result: VolumeJobResult, actor: Actor
) -> DiskRequest:
    now = timezone.now()
    interval = poll_interval_seconds(result.periodic_query_minutes)
    changes = {
        "job_id": result.job_id,
        "api_request_id": result.request_id or "",
        "submitted_at": now,
        "min_provision_minutes": result.min_provision_minutes,
        "max_provision_minutes": result.max_provision_minutes,
        "poll_interval_seconds": interval,
        "next_poll_at": now + timedelta(seconds=interval),
        "deadline_at": now + _deadline(result.max_provision_minutes),
        "progress": 0,
    }
    audit = AuditEntry(
        Action.REQUEST_ACCEPTED,
        Outcome.SUCCESS,
        {"job_id": result.job_id},
        api_request_id=result.request_id or "",
    )
    return disk_request_move(
        disk_request, to=Status.RUNNING, actor=actor, audit=audit, changes=changes
    )


def _deadline(max_provision_minutes: int | None) -> timedelta:
    return timedelta(minutes=max_provision_minutes or settings.WORKSPACE_JOB_DEADLINE_MINUTES)


def _record_send_error(
    disk_request: DiskRequest, error: WorkspaceError, actor: Actor
) -> DiskRequest:
    error_code = error.error_code or (f"HTTP {error.status}" if error.status else "")
    changes: dict[str, object] = {
        "error_code": error_code,
        "api_request_id": error.request_id or "",
    }
    if error.outcome_unknown:
        # The cloud may have started the job: leave it `submitting` for the reconcile
        # step, and block other requests for this desktop until that is known.
        to = Status.SUBMITTING
        changes["error_message"] = str(operation_of(disk_request).outcome_unknown) % {
            "problem": error.human_message
        }
        changes["next_poll_at"] = timezone.now()
        action, outcome = Action.REQUEST_OUTCOME_UNKNOWN, Outcome.PENDING
    else:
        to = Status.FAILED
        changes["error_message"] = error.human_message
        action, outcome = Action.REQUEST_REFUSED, Outcome.FAILURE
    audit = AuditEntry(
        action,
        outcome,
        {"status": error.status, "message": error.human_message},
        error_code=error_code,
        api_request_id=error.request_id or "",
    )
    return disk_request_move(disk_request, to=to, actor=actor, audit=audit, changes=changes)


def _error_reference(error: WorkspaceError) -> str:
    parts = [error.error_code, f"request id {error.request_id}" if error.request_id else None]
    shown = ", ".join(part for part in parts if part)
    return f"({shown})" if shown else ""
