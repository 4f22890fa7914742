"""The models of the disks app, one module per sub-domain."""

from disks.models.api import ApiIdempotencyKey, ApiRateWindow, ApiToken
from disks.models.audit import AuditChainHead, AuditEvent
from disks.models.batches import Batch, BatchChunk, BatchItem
from disks.models.inventory import Desktop, DesktopUser
from disks.models.operations import AuditForwarderPosition, WorkerHeartbeat
from disks.models.preferences import UserPreference
from disks.models.requests import DiskRequest
from disks.models.scheduling import PeriodicRun
from disks.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiIdempotencyKey",
    "ApiRateWindow",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "AuditForwarderPosition",
    "Batch",
    "BatchChunk",
    "BatchItem",
    "Desktop",
    "DesktopUser",
    "DiskRequest",
    "PeriodicRun",
    "UserPreference",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WorkerHeartbeat",
]
