"""Periodic work for the workers: the sweep, the inventory sync, the audit chain's check and
its signed checkpoint, audit forwarding, pruning old task rows and the API rate limit's
passed minutes, each once per period.

Every worker runs `periodic_run_due()` now and then; a conditional UPDATE on the job's
PeriodicRun row lets exactly one of them run each job per period.
"""

import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from disks.audit_chain import audit_chain_verify_and_remember
from disks.audit_checkpoint import CheckpointError, audit_checkpoint_record, checkpoints_configured
from disks.client import WorkspaceError
from disks.models import PeriodicRun
from disks.services.api_rate import api_rate_windows_prune
from disks.services.audit_forwarding import audit_forward
from disks.services.batch_polling import batch_chunks_sweep
from disks.services.inventory import desktop_inventory_sync
from disks.services.polling import disk_requests_sweep

logger = logging.getLogger(__name__)


def _sweep() -> str:
    requests, batches = disk_requests_sweep(), batch_chunks_sweep()
    return f"re-queued {requests} requests and {batches} batch chunks or sends"


def _inventory_sync() -> str:
    summary = desktop_inventory_sync()
    return (
        f"{summary.total} desktops: {len(summary.created)} new, {len(summary.updated)} changed, "
        f"{len(summary.removed)} removed"
    ) + (f". {summary.removal_refused_message}" if summary.removal_refused else "")


def _audit_verify() -> str:
    verdict = audit_chain_verify_and_remember()
    return f"audit chain: {verdict}"


def _audit_checkpoint() -> str:
    try:
        checkpoint, written = audit_checkpoint_record()
    except (CheckpointError, OSError) as error:
        logger.error("audit checkpoint: %s", error)
        return f"failed: {error}"
    return f"{checkpoint} written to {len(written)} place(s)"


# Rows deleted per statement: a first prune after months keeps each transaction short.
_PRUNE_CHUNK = 5000


def task_results_prune(*, keep_days: int | None = None) -> int:
    """Delete finished task rows older than TASK_RESULTS_KEEP_DAYS; return how many went.

    Queued and running tasks are never touched. Each poll of each job is a task row, so a
    busy tenant adds thousands a day; the rows help look into a failure for a while, no more.
    """
    days = settings.TASK_RESULTS_KEEP_DAYS if keep_days is None else keep_days
    old = DBTaskResult.objects.finished().filter(
        finished_at__lt=timezone.now() - timedelta(days=days)
    )
    deleted = 0
    while chunk := list(old.values_list("pk", flat=True)[:_PRUNE_CHUNK]):
        deleted += DBTaskResult.objects.filter(pk__in=chunk).delete()[0]
    return deleted


def _task_results_prune() -> str:
    return f"deleted {task_results_prune()} finished task rows"


def _api_rate_windows_prune() -> str:
    return f"deleted {api_rate_windows_prune()} passed API rate-limit minutes"


def periodic_jobs() -> dict[str, tuple[int, Callable[[], str]]]:
    """Name -> (period in seconds, job). A period of 0 turns a job off."""
    checkpoint_period = settings.AUDIT_CHECKPOINT_MINUTES * 60 if checkpoints_configured() else 0
    return {
        "sweep": (settings.WORKER_SWEEP_SECONDS, _sweep),
        "inventory_sync": (settings.INVENTORY_SYNC_MINUTES * 60, _inventory_sync),
        "audit_verify": (settings.AUDIT_VERIFY_MINUTES * 60, _audit_verify),
        "audit_checkpoint": (checkpoint_period, _audit_checkpoint),
        "task_results_prune": (
            3600 if settings.TASK_RESULTS_KEEP_DAYS > 0 else 0,
            _task_results_prune,
        ),
        # A row per caller per minute of calls; a few hundred rows at most between runs.
        "api_rate_windows_prune": (
            300 if settings.API_RATE_LIMIT_PER_MINUTE else 0,
            _api_rate_windows_prune,
        ),
        # Off (0) without a sink; the forwarder also takes a lease of its own, so runs that
        # outlast their period never send side by side.
        "audit_forward": (
            settings.AUDIT_FORWARD_SECONDS if settings.AUDIT_FORWARD_URL else 0,
            audit_forward,
        ),
    }


def _claim(name: str, period: int) -> bool:
    now = timezone.now()
    next_run = now + timedelta(seconds=period)
    with contextlib.suppress(IntegrityError):  # another worker created it a moment ago
        PeriodicRun.objects.get_or_create(name=name, defaults={"next_run_at": now})
    claimed = PeriodicRun.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=next_run, last_run_at=now
    )
    return claimed == 1


def periodic_run_due() -> list[str]:
    """Run each periodic job whose period has come and that no other worker took; say which."""
    ran = []
    for name, (period, job) in periodic_jobs().items():
        if period <= 0 or not _claim(name, period):
            continue
        try:
            result = job()
        except WorkspaceError as error:
            result = f"failed: {error}"
            logger.warning("periodic %s %s", name, result)
        PeriodicRun.objects.filter(name=name).update(last_result=result[:300])
        ran.append(name)
    return ran
