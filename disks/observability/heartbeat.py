"""The workers' heartbeats: each worker says it is alive; readiness and the banner ask.

A worker (`manage.py run_worker`) writes its own row every scheduler tick. Nothing else
tells whether job statuses are being updated: the poll tasks wait in the database whether
or not a worker runs.
"""

import os
import socket
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from disks.models import WorkerHeartbeat


def worker_id_make() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_heartbeat_beat(*, worker_id: str, started_at: datetime) -> None:
    """Record that this worker is alive now."""
    hostname, _, pid = worker_id.rpartition(":")
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen_at": timezone.now()},
        create_defaults={
            "hostname": hostname,
            "pid": int(pid) if pid.isdigit() else 0,
            "started_at": started_at,
            "last_seen_at": timezone.now(),
        },
    )


def worker_last_seen() -> datetime | None:
    """The freshest heartbeat of any worker, or None when no worker ever ran."""
    return (
        WorkerHeartbeat.objects.order_by("-last_seen_at")
        .values_list("last_seen_at", flat=True)
        .first()
    )


def worker_is_stale(last_seen: datetime | None, *, now: datetime | None = None) -> bool:
    if last_seen is None:
        return True
    now = now or timezone.now()
    return now - last_seen > timedelta(seconds=settings.WORKER_STALE_SECONDS)


class BriefCache:
    """A value kept in this process for a few seconds (a probe or banner per page is free)."""

    def __init__(self, seconds_setting: str) -> None:
        self.seconds_setting = seconds_setting
        self.value: object = None
        self.expires = 0.0

    def get(self, compute):
        now = time.monotonic()
        if now >= self.expires:
            self.value = compute()
            self.expires = now + getattr(settings, self.seconds_setting)
        return self.value

    def clear(self) -> None:
        self.expires = 0.0
