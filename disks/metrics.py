"""Prometheus metrics, served at /metrics (workspace_admin/metrics_view.py).

Two kinds:

- Events a process sees (HTTP requests, cloud calls, how late a due poll ran) are
  prometheus-client counters and histograms. Under gunicorn and several workers they are
  kept per process in PROMETHEUS_MULTIPROC_DIR and added up at scrape time (multiprocess
  mode); without that variable each process keeps its own (development, tests).
- The database's state (requests by kind and status, job durations, the task queue,
  reconcile decisions, the last sync, the audit chain, the workers' heartbeats, the
  audit forwarder) is read at scrape time by `DatabaseCollector`, so it is right whichever
  process is scraped and survives restarts. Several machines report the same values for
  these: aggregate them with max(), not sum().

No label carries a user name or a desktop id: labels are kinds, statuses, operations, codes
and view names, all from small fixed sets.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from disks.models import AuditChainHead, AuditEvent, DiskRequest, PeriodicRun

logger = logging.getLogger(__name__)

PREFIX = "diskadmin"

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests_total",
    "HTTP requests served, by method, view name and status code.",
    ["method", "view", "status"],
)
HTTP_DURATION = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to serve an HTTP request, by view name.",
    ["view"],
)
CLOUD_CALLS = Counter(
    f"{PREFIX}_cloud_calls_total",
    "Calls to the Workspace (and IAM) API, one per attempt, by operation and result code "
    "(the HTTP status, or the connection error's name).",
    ["operation", "code"],
)
CLOUD_CALL_DURATION = Histogram(
    f"{PREFIX}_cloud_call_duration_seconds",
    "Latency of calls to the Workspace API, by operation.",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
)
POLL_LAG = Histogram(
    f"{PREFIX}_poll_lag_seconds",
    "How late a due job poll ran: the time between its poll time and its claim.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
)

# Job durations (submitted to finished), seconds.
JOB_DURATION_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)


def http_request_observe(*, method: str, view: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, view=view, status=str(status)).inc()
    HTTP_DURATION.labels(view=view).observe(seconds)


def cloud_call_observe(operation: str, code: str, seconds: float) -> None:
    CLOUD_CALLS.labels(operation=operation, code=code).inc()
    CLOUD_CALL_DURATION.labels(operation=operation).observe(seconds)


def poll_lag_observe(due_at: datetime | None, claimed_at: datetime) -> None:
    if due_at is not None:
        POLL_LAG.observe(max(0.0, (claimed_at - due_at).total_seconds()))


# Scrape-time metrics from the database --------------------------------------------------

# Extension point for the audit checkpoint (disks/audit_checkpoint.py, being built): a
# callable returning the time of the last checkpoint, or None. When the module is absent
# or has no such function, the gauge is left out.
CHECKPOINT_LAST_TIME = "disks.audit_checkpoint.audit_checkpoint_last_time"


def _checkpoint_last_time() -> datetime | None:
    module_name, _, function_name = CHECKPOINT_LAST_TIME.rpartition(".")
    try:
        function: Callable[[], datetime | None] = getattr(
            importlib.import_module(module_name), function_name
        )
    except (ImportError, AttributeError):
        return None
    return function()


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def _gauge(name: str, documentation: str, value: float | None) -> Iterator[Metric]:
    if value is not None:
        yield GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class DatabaseCollector(Collector):
    """Read the state of the database at scrape time (see the module docstring)."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        try:
            metrics = [
                *self._requests(),
                *self._job_durations(),
                *self._queue(now),
                *self._reconcile_decisions(),
                *self._inventory_sync(now),
                *self._audit(now),
                *self._workers(now),
                *self._forwarding(),
            ]
        except DatabaseError as error:
            logger.warning("metrics: the database did not answer: %s", error)
            yield GaugeMetricFamily(
                f"{PREFIX}_database_up", "1 when the database answered the scrape.", value=0
            )
            return
        yield GaugeMetricFamily(
            f"{PREFIX}_database_up", "1 when the database answered the scrape.", value=1
        )
        yield from metrics

    def _requests(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            f"{PREFIX}_disk_requests",
            "Disk requests in the database, by kind and status (final or not).",
            labels=["kind", "status"],
        )
        rows = DiskRequest.objects.values("kind", "status").annotate(n=Count("pk")).order_by()
        for row in rows:
            family.add_metric([row["kind"], row["status"]], row["n"])
        yield family

    def _job_durations(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            f"{PREFIX}_job_duration_seconds",
            "Time from submission to a final status of finished requests, by kind.",
            labels=["kind"],
        )
        duration = ExpressionWrapper(F("finished_at") - F("submitted_at"), DurationField())
        buckets = {
            f"le_{index}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
            for index, bound in enumerate(JOB_DURATION_BUCKETS)
        }
        rows = (
            DiskRequest.objects.filter(finished_at__isnull=False, submitted_at__isnull=False)
            .annotate(duration=duration)
            .values("kind")
            .annotate(count=Count("pk"), total=Sum("duration"), **buckets)
            .order_by()
        )
        for row in cast(Iterator[dict[str, Any]], rows):
            family.add_metric(
                [row["kind"]],
                [
                    *(
                        (floatToGoString(bound), row[f"le_{index}"])
                        for index, bound in enumerate(JOB_DURATION_BUCKETS)
                    ),
                    ("+Inf", row["count"]),
                ],
                sum_value=row["total"].total_seconds() if row["total"] else 0.0,
            )
        yield family

    def _queue(self, now: datetime) -> Iterator[Metric]:
        from django_tasks_db.models import DBTaskResult, get_date_max

        ready = DBTaskResult.objects.ready()
        depth = ready.count()
        oldest = ready.aggregate(
            queued=Min("enqueued_at", filter=Q(run_after=get_date_max())),
            due=Min("run_after", filter=~Q(run_after=get_date_max())),
        )
        oldest_at = min((t for t in oldest.values() if t is not None), default=None)
        yield GaugeMetricFamily(
            f"{PREFIX}_task_queue_depth", "Background tasks due and not yet taken.", value=depth
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_task_queue_oldest_age_seconds",
            "How long the oldest due task has waited (0 when none waits).",
            value=_age(now, oldest_at) or 0.0,
        )

    def _reconcile_decisions(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            f"{PREFIX}_reconcile_decisions",
            "Decisions of the reconcile step on requests whose submit answer was lost.",
            labels=["decision"],
        )
        rows = (
            AuditEvent.objects.filter(action=AuditEvent.Action.REQUEST_RECONCILED)
            .values("details__decision")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            family.add_metric([str(row["details__decision"] or "unknown")], row["n"])
        yield family

    def _inventory_sync(self, now: datetime) -> Iterator[Metric]:
        last = (
            AuditEvent.objects.filter(action=AuditEvent.Action.INVENTORY_SYNCED)
            .order_by("-sequence")
            .values("occurred_at", "outcome")
            .first()
        )
        if last is None:
            return
        yield from _gauge(
            "inventory_sync_age_seconds",
            "Seconds since the last inventory sync (periodic or by hand).",
            _age(now, last["occurred_at"]),
        )
        yield from _gauge(
            "inventory_sync_success",
            "1 when the last inventory sync succeeded, else 0.",
            1.0 if last["outcome"] == AuditEvent.Outcome.SUCCESS else 0.0,
        )

    def _audit(self, now: datetime) -> Iterator[Metric]:
        from disks.audit_chain import audit_chain_verdict_cached

        head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first()
        if head:
            yield from _gauge("audit_chain_head_sequence", "The last event's sequence.", head)
            newest = AuditEvent.objects.filter(sequence=head).values_list("occurred_at", flat=True)
            yield from _gauge(
                "audit_chain_head_age_seconds",
                "Seconds since the last audit event was written.",
                _age(now, newest.first()),
            )
        cached = audit_chain_verdict_cached()
        if cached.verdict is not None:
            yield from _gauge(
                "audit_verify_intact",
                "1 when the last verification found the chain intact, else 0.",
                1.0 if cached.verdict.intact else 0.0,
            )
            yield from _gauge(
                "audit_verify_age_seconds",
                "Seconds since the chain was last verified.",
                _age(now, cached.verdict.checked_at),
            )
        yield from _gauge(
            "audit_checkpoint_age_seconds",
            "Seconds since the last audit checkpoint.",
            _age(now, _checkpoint_last_time()),
        )

    def _workers(self, now: datetime) -> Iterator[Metric]:
        from disks.models import WorkerHeartbeat

        stale_before = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
        summary = WorkerHeartbeat.objects.aggregate(
            latest=Max("last_seen_at"), alive=Count("pk", filter=Q(last_seen_at__gt=stale_before))
        )
        yield from _gauge(
            "workers_alive",
            "Workers whose heartbeat is fresher than WORKER_STALE_SECONDS.",
            summary["alive"],
        )
        yield from _gauge(
            "worker_heartbeat_age_seconds",
            "Seconds since the freshest worker heartbeat.",
            _age(now, summary["latest"]),
        )
        yield from _gauge(
            "periodic_jobs_overdue",
            "Periodic jobs (sweep, sync, verify) more than one scheduler tick overdue.",
            PeriodicRun.objects.filter(next_run_at__lt=now - timedelta(minutes=1)).count(),
        )

    def _forwarding(self) -> Iterator[Metric]:
        from disks.models import AuditForwarderPosition

        head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first()
        family = GaugeMetricFamily(
            f"{PREFIX}_audit_forwarding_lag_events",
            "Audit events written but not yet forwarded, by sink.",
            labels=["sink"],
        )
        for position in AuditForwarderPosition.objects.all():
            family.add_metric([position.name], max(0, (head or 0) - position.last_sequence))
        yield family


def metrics_exposition() -> bytes:
    """The text format: the processes' metrics (added up in multiprocess mode) and the DB's."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        return generate_latest(processes) + generate_latest(database)
    return generate_latest(REGISTRY) + generate_latest(database)


def install() -> None:
    """Have the cloud client report every call (called once, from DisksConfig.ready)."""
    from disks.client import transport

    transport.call_observer = cloud_call_observe
