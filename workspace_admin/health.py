"""Probes for load balancers and orchestrators: /healthz (liveness) and /readyz (readiness).

/healthz answers while the process runs and the database answers. /readyz checks what this
dashboard needs to be useful and says which part is missing:

- database and cache: without them no page works, so either failing is 503;
- the workers' heartbeat, the last inventory sync and the cloud: the pages still work
  without them (job statuses stop moving, the inventory ages), so they make the answer
  "degraded" with 200, for a dashboard and an alert rather than for the load balancer.

The answer is reused for READYZ_CACHE_SECONDS in each process, so a probe every second
costs the database and the cloud little.
"""

import logging
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from disks.observability.heartbeat import BriefCache

logger = logging.getLogger(__name__)

CLOUD_CONNECT_TIMEOUT = 2.0


@require_GET
@never_cache
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers a trivial query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The message goes to the log only: it may name hosts or users.
        logger.warning("health check: database unreachable: %s", error)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_cache() -> dict:
    key = "readyz:probe"
    value = str(time.monotonic())
    cache.set(key, value, 30)
    return {"ok": cache.get(key) == value}


def _check_worker() -> dict:
    from disks.observability.heartbeat import worker_is_stale, worker_last_seen

    last_seen = worker_last_seen()
    age = None if last_seen is None else (timezone.now() - last_seen).total_seconds()
    return {"ok": not worker_is_stale(last_seen), "age_seconds": age}


def _check_sync() -> dict:
    from disks.models import AuditEvent

    last = (
        AuditEvent.objects.filter(action=AuditEvent.Action.INVENTORY_SYNCED)
        .order_by("-sequence")
        .values("occurred_at", "outcome")
        .first()
    )
    if last is None:
        return {"ok": False, "age_seconds": None}
    age = timezone.now() - last["occurred_at"]
    fresh = age <= timedelta(minutes=settings.READYZ_SYNC_STALE_MINUTES)
    return {
        "ok": fresh and last["outcome"] == AuditEvent.Outcome.SUCCESS,
        "age_seconds": age.total_seconds(),
    }


def _check_cloud() -> dict:
    """Open a TCP connection to the API's host: reachable, without spending a signed call."""
    parts = urlsplit(settings.WORKSPACE_ENDPOINT)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname or "", port), timeout=CLOUD_CONNECT_TIMEOUT):
        pass
    return {"ok": True}


CRITICAL = {"database": _check_database, "cache": _check_cache}
ADVISORY = {"worker": _check_worker, "inventory_sync": _check_sync, "cloud": _check_cloud}


def _run(check) -> dict:
    try:
        return check()
    except (DatabaseError, OSError) as error:
        logger.warning("readiness: %s failed: %s", check.__name__, error)
        return {"ok": False, "error": type(error).__name__}


def readiness() -> tuple[int, dict]:
    """Run every check; return the HTTP status and the JSON body."""
    checks = {name: _run(check) for name, check in {**CRITICAL, **ADVISORY}.items()}
    if not all(checks[name]["ok"] for name in CRITICAL):
        return 503, {"status": "unavailable", "checks": checks}
    degraded = not all(checks[name]["ok"] for name in ADVISORY)
    return 200, {"status": "degraded" if degraded else "ok", "checks": checks}


_readiness = BriefCache("READYZ_CACHE_SECONDS")


@require_GET
@never_cache
@login_not_required
def readyz(request: HttpRequest) -> JsonResponse:
    """200 "ok" or "degraded", or 503 when the database or the cache fails (see above)."""
    status, body = _readiness.get(readiness)
    return JsonResponse(body, status=status)
