"""Reads for batches (helpdesk): choosing desktops, the list, one batch's progress and rows."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
    When,
)
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


# A desktop of a batch is where its request is; a skipped one has none, nor has one not sent yet.
FAILED_STATUSES = (Status.FAILED, Status.NEEDS_REVIEW)
RUNNING_STATUSES = (Status.RUNNING, Status.SUBMITTING)


def _items_with_request_status(batch: Batch) -> QuerySet[BatchItem]:
    """The batch's items, each with its request's status (None: skipped or not sent yet).

    A batch sends each desktop at most once, so (batch, desktop id) names one request: a
    LEFT JOIN on both, not a subquery per item.
    """
    return batch.items.annotate(
        sent=FilteredRelation(
            "batch__requests", condition=Q(batch__requests__desktop_id=F("desktop_id"))
        ),
        request_status=F("sent__status"),
    )


def batch_progress(batch: Batch) -> BatchProgress:
    """The summary, counted in one query (GROUP BY the request's status and skipped or not)."""
    groups = (
        _items_with_request_status(batch)
        .annotate(is_skipped=ExpressionWrapper(~Q(skip_reason=""), output_field=BooleanField()))
        .values_list("request_status", "is_skipped")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = skipped = done = failed = running = 0
    for status, is_skipped, count in groups:
        total += count
        if is_skipped:
            skipped += count
        elif status == Status.SUCCEEDED:
            done += count
        elif status in FAILED_STATUSES:
            failed += count
        elif status in RUNNING_STATUSES:
            running += count
    return BatchProgress(
        total=total,
        skipped=skipped,
        done=done,
        running=running,
        failed=failed,
        waiting=total - skipped - done - failed - running,
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


BATCH_ROWS_PER_PAGE = 50

# The table's order: what needs a look first (failed, then running), then what is to come
# (waiting), what will not come (skipped) and what is done; the chosen order within each.
_ROW_RANK = Case(
    When(request_status__in=FAILED_STATUSES, then=Value(0)),
    When(request_status__in=RUNNING_STATUSES, then=Value(1)),
    When(request_status__isnull=True, skip_reason="", then=Value(2)),
    When(request_status__isnull=True, then=Value(3)),
    default=Value(4),
)


@dataclass(frozen=True)
class BatchRowsPage:
    """One page of a batch's desktops, problems first. `total` comes from the summary."""

    rows: list[BatchRow]
    number: int
    per_page: int
    total: int

    @property
    def num_pages(self) -> int:
        return _page_count(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def page_number(value: str | None, *, total: int, per_page: int = BATCH_ROWS_PER_PAGE) -> int:
    """The page asked for, within 1 and the last page (anything else: the first)."""
    number = int(value) if value and value.isdigit() else 1
    return min(max(1, number), _page_count(total, per_page))


def _page_count(total: int, per_page: int) -> int:
    """Pages of `per_page` for `total` rows; an empty table still has its one (empty) page."""
    return max(1, -(-total // per_page))


def batch_rows_page(
    batch: Batch, *, number: int, total: int, per_page: int = BATCH_ROWS_PER_PAGE
) -> BatchRowsPage:
    """One page of the desktops, problems first, in two queries whatever the batch's size.

    `total` is the batch's desktop count (the summary's), so that paging costs no COUNT.
    """
    start = (number - 1) * per_page
    items = list(
        _items_with_request_status(batch)
        .annotate(rank=_ROW_RANK)
        .order_by("rank", "id")[start : start + per_page]
    )
    shown = batch.requests.filter(desktop_id__in=[item.desktop_id for item in items]).only(
        "desktop_id", "status", "progress", "error_message"
    )
    requests = {request.desktop_id: request for request in shown}
    rows = [BatchRow(item, requests.get(item.desktop_id)) for item in items]
    return BatchRowsPage(rows=rows, number=number, per_page=per_page, total=total)


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
