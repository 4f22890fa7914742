"""Self-service requests above the policy's threshold: held for a helpdesk member's decision."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from disks.client import VolumeSpec, WorkspaceClient, get_client
from disks.models import AuditEvent, DiskRequest
from disks.services.audit import audit_event_record
from disks.services.notifications import requester_notify_on_commit
from disks.services.requests import (
    desktop_checked_for_disks,
    disk_request_record,
    disk_request_send,
)

Status = DiskRequest.Status
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


def disk_request_hold_for_approval(
    *,
    desktop_id: str,
    volumes: Sequence[VolumeSpec],
    requested_by,
    idempotency_key,
    enterprise_project_id: str | None = None,
    http_request: HttpRequest | None = None,
    client: WorkspaceClient | None = None,
) -> DiskRequest:
    """Record a portal request that waits for approval; nothing is sent to the cloud yet.

    The desktop is checked now too, so that the user hears at once about what cannot work;
    it is checked again when a helpdesk member approves.
    """
    existing = DiskRequest.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    desktop = desktop_checked_for_disks(
        desktop_id=desktop_id, volumes=volumes, client=client or get_client()
    )
    disk_request, _ = disk_request_record(
        desktop=desktop,
        volumes=volumes,
        requested_by=requested_by,
        audience=DiskRequest.Audience.PORTAL,
        idempotency_key=idempotency_key,
        enterprise_project_id=enterprise_project_id or desktop.enterprise_project_id,
        http_request=http_request,
        status=Status.PENDING_APPROVAL,
    )
    return disk_request


def disk_request_approve(
    *,
    disk_request: DiskRequest,
    approver,
    http_request: HttpRequest | None = None,
    client: WorkspaceClient | None = None,
) -> DiskRequest:
    """Approve a held request and submit it, under the approver's authority.

    1. Re-check the desktop as the API sees it now (ValidationError; it stays pending).
    2. Claim the decision with a conditional UPDATE: of two approvals at once, one wins;
       the other is told it was already decided. The database's one-in-flight rule
       refuses it if another request for the desktop is running.
    3. Send it exactly as a helpdesk request is sent (outside any transaction).
    """
    if disk_request.status != Status.PENDING_APPROVAL:
        raise ValidationError(_already_decided(disk_request))
    client = client or get_client()
    volumes = [VolumeSpec(**volume) for volume in disk_request.volumes]
    desktop = desktop_checked_for_disks(
        desktop_id=disk_request.desktop_id, volumes=volumes, client=client
    )
    try:
        _decide(
            disk_request,
            approver,
            http_request,
            decision="approved",
            status=Status.SUBMITTING,
            data_disks_before=desktop.data_volume_count,
        )
    except IntegrityError:
        raise ValidationError(
            "Another request is adding disks to this desktop now: approve this one when it "
            "has finished."
        ) from None
    return disk_request_send(
        disk_request=disk_request, http_request=http_request, actor=approver, client=client
    )


def disk_request_reject(
    *, disk_request: DiskRequest, approver, reason: str, http_request: HttpRequest | None = None
) -> DiskRequest:
    """Reject a held request with a reason the requester will see."""
    reason = reason.strip()
    if disk_request.status != Status.PENDING_APPROVAL:
        raise ValidationError(_already_decided(disk_request))
    if not reason:
        raise ValidationError("Say why the request is rejected: the requester will see it.")
    _decide(
        disk_request,
        approver,
        http_request,
        decision="rejected",
        status=Status.REJECTED,
        decision_reason=reason[:1000],
        finished_at=timezone.now(),
    )
    return disk_request


_DECISION_EVENTS = {
    "approved": (Action.REQUEST_APPROVED, Outcome.SUCCESS),
    "rejected": (Action.REQUEST_REJECTED, Outcome.FAILURE),
}


def _decide(disk_request: DiskRequest, approver, http_request, *, decision: str, **changes) -> None:
    """Claim the decision on a pending request (a conditional UPDATE), audit it, tell the user.

    Of two decisions at once only one finds the request still pending; the other gets a
    ValidationError saying who decided first. `disk_request` is refreshed in place.
    """
    with transaction.atomic():
        claimed = DiskRequest.objects.filter(
            pk=disk_request.pk, status=Status.PENDING_APPROVAL
        ).update(
            decided_by=approver,
            decided_by_username=approver.get_username(),
            updated_at=timezone.now(),
            **changes,
        )
        if not claimed:
            raise ValidationError(_already_decided(disk_request))
        disk_request.refresh_from_db()
        action, outcome = _DECISION_EVENTS[decision]
        audit_event_record(
            action=action,
            outcome=outcome,
            audience=AuditEvent.Audience.HELPDESK,
            actor=approver,
            http_request=http_request,
            disk_request=disk_request,
            details={
                "requested_by": disk_request.requested_by_username,
                "reason": disk_request.decision_reason,
            },
        )
        requester_notify_on_commit(disk_request, decision)


def _already_decided(disk_request: DiskRequest) -> str:
    current = DiskRequest.objects.filter(pk=disk_request.pk).first()
    by = f" by {current.decided_by_username}" if current and current.decided_by_username else ""
    return f"Request #{disk_request.pk} was already decided{by}."
