"""Requests held for a helpdesk member's decision (four eyes): self-service requests above
the policy's threshold, and deletions (unless DELETE_REQUIRES_APPROVAL is off)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from disks.actor import Actor, ActorAudience
from disks.client import WorkspaceClient, get_client
from disks.models import AuditEvent, DiskRequest
from disks.services.lifecycle import AuditEntry, StaleMove, disk_request_move
from disks.services.requests import (
    Volumes,
    desktop_checked_for_disks,
    desktop_checked_unless_sent,
    disk_request_record,
    disk_request_send,
    disk_request_with_key,
)

Status = DiskRequest.Status
Kind = DiskRequest.Kind
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


def disk_request_hold_for_approval(
    *,
    desktop_id: str,
    volumes: Volumes,
    actor: Actor,
    idempotency_key,
    enterprise_project_id: str | None = None,
    client: WorkspaceClient | None = None,
    kind: str = Kind.ADD,
) -> DiskRequest:
    """Record a request that waits for approval; nothing is sent to the cloud yet.

    A portal request stays a portal request; a helpdesk member's deletion stays theirs.
    The desktop is checked now too, so that the requester hears at once about what cannot
    work; it is checked again when a helpdesk member approves.
    """
    existing = disk_request_with_key(actor=actor, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    desktop = desktop_checked_unless_sent(
        actor=actor,
        idempotency_key=idempotency_key,
        desktop_id=desktop_id,
        volumes=volumes,
        client=client or get_client(),
        kind=kind,
    )
    if isinstance(desktop, DiskRequest):
        return desktop
    # A helpdesk member's own request (a deletion) is theirs; anything else is self-service.
    if actor.audience != ActorAudience.HELPDESK:
        actor = actor.through(ActorAudience.PORTAL)
    disk_request, _ = disk_request_record(
        desktop=desktop,
        volumes=volumes,
        actor=actor,
        idempotency_key=idempotency_key,
        enterprise_project_id=enterprise_project_id or desktop.enterprise_project_id,
        status=Status.PENDING_APPROVAL,
        kind=kind,
    )
    return disk_request


def disk_request_approve(
    *, disk_request: DiskRequest, actor: Actor, client: WorkspaceClient | None = None
) -> DiskRequest:
    """Approve a held request and submit it, under the approver's (`actor`'s) authority.

    1. Re-check the desktop as the API sees it now (ValidationError; it stays pending).
    2. Move it to `submitting` only if it is still pending: of two approvals at once, one
       wins; the other is told it was already decided. The database's one-in-flight rule
       refuses it if another request for the desktop is running.
    3. Send it exactly as a helpdesk request is sent (outside any transaction).
    """
    if disk_request.status != Status.PENDING_APPROVAL:
        raise ValidationError(_already_decided(disk_request))
    if is_own_request(disk_request, actor):
        raise ValidationError(
            _("You asked for this request yourself: another helpdesk member must approve it.")
        )
    client = client or get_client()
    desktop = desktop_checked_for_disks(
        desktop_id=disk_request.desktop_id,
        volumes=disk_request.volumes,
        client=client,
        kind=disk_request.kind,
    )
    try:
        _decide(
            disk_request,
            actor,
            to=Status.SUBMITTING,
            changes={"data_disks_before": desktop.data_volume_count},
        )
    except IntegrityError:
        raise ValidationError(
            _(
                "Another request is changing this desktop's disks now: approve this one when it "
                "has finished."
            )
        ) from None
    return disk_request_send(disk_request=disk_request, actor=actor, client=client)


def disk_request_reject(*, disk_request: DiskRequest, actor: Actor, reason: str) -> DiskRequest:
    """Reject a held request with a reason the requester will see."""
    reason = reason.strip()
    if disk_request.status != Status.PENDING_APPROVAL:
        raise ValidationError(_already_decided(disk_request))
    if not reason:
        raise ValidationError(_("Say why the request is rejected: the requester will see it."))
    _decide(disk_request, actor, to=Status.REJECTED, changes={"decision_reason": reason[:1000]})
    return disk_request


def is_own_request(disk_request: DiskRequest, actor: Actor) -> bool:
    """Four eyes: whoever asked for a request never approves it, whatever groups they are in."""
    if actor.user is not None and disk_request.requested_by_id is not None:
        return actor.user.pk == disk_request.requested_by_id
    return actor.username.lower() == disk_request.requested_by_username.lower()


_DECISION_EVENTS: dict[str, tuple[str, str]] = {
    Status.SUBMITTING: (Action.REQUEST_APPROVED, Outcome.SUCCESS),
    Status.REJECTED: (Action.REQUEST_REJECTED, Outcome.FAILURE),
}


def _decide(disk_request: DiskRequest, actor: Actor, *, to: str, changes: dict) -> None:
    """Move a pending request on the approver's decision; audit it, tell the requester.

    Of two decisions at once only one finds the request still pending; the other gets a
    ValidationError saying who decided first. `disk_request` is updated in place.
    """
    action, outcome = _DECISION_EVENTS[to]
    audit = AuditEntry(
        action,
        outcome,
        {
            "requested_by": disk_request.requested_by_username,
            "reason": changes.get("decision_reason", ""),
        },
    )
    decision = {"decided_by": actor.user, "decided_by_username": actor.username, **changes}
    try:
        disk_request_move(
            disk_request,
            to=to,
            actor=actor.through(ActorAudience.HELPDESK),
            audit=audit,
            changes=decision,
        )
    except StaleMove:
        raise ValidationError(_already_decided(disk_request)) from None


def _already_decided(disk_request: DiskRequest) -> str:
    current = DiskRequest.objects.filter(pk=disk_request.pk).first()
    by = f" by {current.decided_by_username}" if current and current.decided_by_username else ""
    return f"Request #{disk_request.pk} was already decided{by}."
