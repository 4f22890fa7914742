"""Reads for batches (helpdesk): choosing desktops, the list, one batch's progress and rows."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from disks.models import Batch, BatchItem, Desktop, DesktopUser, DiskRequest
from disks.selectors.inventory import desktop_list

Status = DiskRequest.Status


def desktop_ids_matching(*, search: str = "", status: str = "", limit: int) -> list[str]:
    """The ids of the desktops the inventory's filter matches, in its order, up to `limit`."""
    return list(
        desktop_list(search=search, status=status).values_list("desktop_id", flat=True)[:limit]
    )


def desktops_for_lines(text: str) -> tuple[list[str], list[str]]:
    """Resolve a pasted list, one computer name, desktop id or user name a line.

    Returns (desktop ids in the order given, without repeats; the lines that match
    nothing). A user name stands for every desktop of that user.
    """
    lines = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if not lines:
        return [], []
    folded = [line.casefold() for line in lines]
    by_id = dict(
        Desktop.objects.filter(desktop_id__in=lines).values_list("desktop_id", "desktop_id")
    )
    by_name: dict[str, list[str]] = {}
    name_query = Q()
    for line in lines:
        name_query |= Q(computer_name__iexact=line)
    for desktop_id, name in Desktop.objects.filter(name_query).values_list(
        "desktop_id", "computer_name"
    ):
        by_name.setdefault(name.casefold(), []).append(desktop_id)
    by_user: dict[str, list[str]] = {}
    for user_name, desktop_id in (
        DesktopUser.objects.filter(user_name__in=folded)
        .order_by("desktop__computer_name")
        .values_list("user_name", "desktop__desktop_id")
    ):
        by_user.setdefault(user_name, []).append(desktop_id)
    found: list[str] = []
    unknown: list[str] = []
    for line, key in zip(lines, folded, strict=True):
        matches = [by_id[line]] if line in by_id else by_name.get(key) or by_user.get(key)
        if matches:
            found.extend(matches)
        else:
            unknown.append(line)
    return list(dict.fromkeys(found)), unknown


def desktop_names(desktop_ids: list[str]) -> dict[str, str]:
    return dict(
        Desktop.objects.filter(desktop_id__in=desktop_ids).values_list(
            "desktop_id", "computer_name"
        )
    )


def batch_list() -> QuerySet[Batch]:
    """Every batch, newest first, with how many desktops it holds."""
    return Batch.objects.annotate(desktop_count=Count("items")).order_by("-created_at", "-id")


def batch_get(*, pk: int) -> Batch:
    return get_object_or_404(Batch, pk=pk)


@dataclass(frozen=True)
class BatchProgress:
    """A batch's desktops by where they are: the summary the batch page polls."""

    total: int
    skipped: int
    done: int
    running: int
    failed: int
    waiting: int
    elapsed: timedelta | None
    finished: bool

    @property
    def sent(self) -> int:
        return self.total - self.skipped

    @property
    def percent(self) -> int:
        ended = self.done + self.failed
        return round(100 * ended / self.sent) if self.sent else 100


def batch_progress(batch: Batch) -> BatchProgress:
    counts = dict(
        batch.requests.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    total = batch.items.count()
    skipped = batch.items.exclude(skip_reason="").count()
    done = counts.get(Status.SUCCEEDED, 0)
    failed = counts.get(Status.FAILED, 0) + counts.get(Status.NEEDS_REVIEW, 0)
    running = counts.get(Status.RUNNING, 0) + counts.get(Status.SUBMITTING, 0)
    return BatchProgress(
        total=total,
        skipped=skipped,
        done=done,
        running=running,
        failed=failed,
        waiting=max(0, total - skipped - done - failed - running),
        elapsed=batch.elapsed,
        finished=batch.is_finished,
    )


@dataclass(frozen=True)
class BatchRow:
    item: BatchItem
    request: DiskRequest | None


def batch_rows(batch: Batch) -> list[BatchRow]:
    """Each desktop of the batch with its request (None while unsent, or skipped)."""
    requests = {request.desktop_id: request for request in batch.requests.all()}
    return [BatchRow(item, requests.get(item.desktop_id)) for item in batch.items.all()]


def batch_skipped(batch: Batch) -> QuerySet[BatchItem]:
    return batch.items.exclude(skip_reason="")


def batch_submitted_event_id(batch: Batch) -> int | None:
    """The batch's own audit event (its submit), for the link to the audit history."""
    from disks.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.BATCH_SUBMITTED, details__batch_id=batch.pk
        )
        .values_list("pk", flat=True)
        .first()
    )
