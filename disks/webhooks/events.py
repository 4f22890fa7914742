"""Which moves of a request or a batch are webhook events, and queueing them once they commit.

`webhook_events_queue_on_commit` is called by the request lifecycle (disks/services/
lifecycle.py) for every move and every new request; it does nothing for moves that are
no event (e.g. submitting -> running). `batch_finished_queue_on_commit` is called by the
batch lifecycle when a batch moves to `finished`. Once the caller commits, each records
one WebhookDelivery per active endpoint that wants the event and sees its audience (a
batch is the helpdesk's), and queues the worker's task for each. No HTTP happens here:
the worker sends.
"""

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from disks.models import Batch, DiskRequest, WebhookDelivery, WebhookEndpoint, WebhookEvent
from disks.selectors.batches import batch_progress

Status = DiskRequest.Status

# The worker's task, by name (its body imports the delivery service, which is no business of
# the lifecycle's importers).
SEND_TASK = "disks.webhooks.tasks.webhook_delivery_send_task"

# (from status or None for a new request, to status) -> event; a target alone matches any source.
_EVENT_OF_MOVE: dict[tuple[str | None, str], str] = {
    (None, Status.SUBMITTING): WebhookEvent.REQUEST_SUBMITTED,
    (None, Status.PENDING_APPROVAL): WebhookEvent.REQUEST_SUBMITTED,
    (Status.PENDING_APPROVAL, Status.SUBMITTING): WebhookEvent.REQUEST_APPROVED,
    (Status.PENDING_APPROVAL, Status.REJECTED): WebhookEvent.REQUEST_REJECTED,
}
_EVENT_OF_TARGET: dict[str, str] = {
    Status.SUCCEEDED: WebhookEvent.REQUEST_SUCCEEDED,
    Status.FAILED: WebhookEvent.REQUEST_FAILED,
    Status.NEEDS_REVIEW: WebhookEvent.REQUEST_NEEDS_REVIEW,
}


def event_of_move(source: str | None, target: str) -> str | None:
    return _EVENT_OF_MOVE.get((source, target)) or _EVENT_OF_TARGET.get(target)


def webhook_events_queue_on_commit(
    disk_request: DiskRequest, source: str | None, target: str
) -> None:
    """If this move is an event, deliver it to the endpoints that want it, after commit."""
    event_type = event_of_move(source, target)
    if event_type is None or not _endpoints_listening().exists():
        return
    pk = disk_request.pk
    transaction.on_commit(lambda: webhook_event_fan_out(event_type=event_type, disk_request_pk=pk))


def webhook_event_fan_out(*, event_type: str, disk_request_pk: int) -> list[WebhookDelivery]:
    """Record a delivery per endpoint that wants `event_type` and queue its sending."""
    disk_request = DiskRequest.objects.filter(pk=disk_request_pk).first()
    if disk_request is None:
        return []
    return _deliveries_create(
        event_type,
        disk_request.audience,
        lambda event_id: event_payload(event_id, event_type, disk_request),
        disk_request=disk_request,
    )


def batch_finished_queue_on_commit(batch: Batch) -> None:
    """Deliver `batch.finished` to the endpoints that want it, once the move commits."""
    if not _endpoints_listening().exists():
        return
    pk = batch.pk
    transaction.on_commit(lambda: batch_event_fan_out(batch_pk=pk))


def batch_event_fan_out(*, batch_pk: int) -> list[WebhookDelivery]:
    """Record and queue a `batch.finished` delivery per endpoint that wants it."""
    batch = Batch.objects.filter(pk=batch_pk).first()
    if batch is None:
        return []
    event_type = WebhookEvent.BATCH_FINISHED
    return _deliveries_create(
        event_type,
        # Batches are the helpdesk's: endpoints for self-service requests are not told.
        WebhookEndpoint.Scope.HELPDESK,
        lambda event_id: batch_event_payload(event_id, event_type, batch),
    )


def _deliveries_create(
    event_type: str,
    audience: str,
    payload_for: Callable[[uuid.UUID], dict[str, Any]],
    *,
    disk_request: DiskRequest | None = None,
) -> list[WebhookDelivery]:
    endpoints = [
        endpoint
        for endpoint in _endpoints_listening()
        if event_type in endpoint.events and endpoint.scope in ("all", audience)
    ]
    deliveries = []
    for endpoint in endpoints:
        event_id = uuid.uuid4()
        deliveries.append(
            WebhookDelivery.objects.create(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                disk_request=disk_request,
                payload=payload_for(event_id),
                next_attempt_at=timezone.now(),
            )
        )
    for delivery in deliveries:
        delivery_enqueue(delivery)
    return deliveries


def _endpoints_listening():
    return WebhookEndpoint.objects.filter(is_active=True, paused_at__isnull=True)


def delivery_enqueue(delivery: WebhookDelivery) -> None:
    """Queue the worker's next attempt at `delivery` (at its next_attempt_at)."""
    task = import_string(SEND_TASK)
    task.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)


def event_payload(
    event_id: uuid.UUID, event_type: str, disk_request: DiskRequest
) -> dict[str, Any]:
    """The generic event: an id to de-duplicate by, its type, its time and the request."""
    url = settings.DASHBOARD_URL.rstrip("/") + reverse(
        "disks:helpdesk-request-detail", args=[disk_request.pk]
    )
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "data": {
            "disk_request": {
                "id": disk_request.pk,
                "kind": disk_request.kind,
                "status": disk_request.status,
                "audience": disk_request.audience,
                "desktop_id": disk_request.desktop_id,
                "desktop_name": disk_request.desktop_name,
                "volumes": disk_request.volumes,
                "requested_by": disk_request.requested_by_username,
                "decided_by": disk_request.decided_by_username,
                "decision_reason": disk_request.decision_reason,
                "job_id": disk_request.job_id,
                "error_code": disk_request.error_code,
                "error_message": disk_request.error_message,
                "url": url,
            }
        },
    }


def batch_event_payload(event_id: uuid.UUID, event_type: str, batch: Batch) -> dict[str, Any]:
    """The generic event of a batch: its numbers (desktops by outcome) and its page."""
    progress = batch_progress(batch)
    url = settings.DASHBOARD_URL.rstrip("/") + reverse(
        "disks:helpdesk-batch-detail", args=[batch.pk]
    )
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "data": {
            "batch": {
                "id": batch.pk,
                "status": batch.status,
                "created_by": batch.created_by_username,
                "volumes": batch.volumes,
                "desktops": progress.total,
                "succeeded": progress.done,
                "failed": progress.failed,
                "skipped": progress.skipped,
                "submitted_at": batch.submitted_at.isoformat() if batch.submitted_at else None,
                "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
                "url": url,
            }
        },
    }
