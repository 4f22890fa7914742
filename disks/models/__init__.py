"""The models of the disks app, one module per sub-domain."""

from disks.models.audit import AuditChainHead, AuditEvent
from disks.models.inventory import Desktop, DesktopUser
from disks.models.operations import AuditForwarderPosition, WorkerHeartbeat
from disks.models.requests import DiskRequest
from disks.models.scheduling import PeriodicRun

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "AuditForwarderPosition",
    "Desktop",
    "DesktopUser",
    "DiskRequest",
    "PeriodicRun",
    "WorkerHeartbeat",
]
