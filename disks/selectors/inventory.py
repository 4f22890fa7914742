"""Reads for the helpdesk: desktops and disk requests."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Field, Q, QuerySet
from django.shortcuts import get_object_or_404

from disks.cursors import PageCursor
from disks.models import Desktop, DiskRequest
from disks.selectors.keyset import keyset_window

# What the inventory page shows: exactly the columns of the `desktop_list_page` index.
LIST_COLUMNS = (
    "desktop_id",
    "computer_name",
    "status",
    "task_status",
    "user_name",
    "data_volume_count",
)


def desktop_list(*, search: str = "", status: str = "") -> QuerySet[Desktop]:
    """Return the inventory for the helpdesk, filtered by free text and status."""
    desktops = Desktop.objects.all()
    if search:
        desktops = desktops.filter(
            Q(computer_name__icontains=search)
            | Q(user_name__icontains=search)
            | Q(users__user_name__icontains=search.casefold())
            | Q(desktop_id__iexact=search)
        ).distinct()
    if status:
        desktops = desktops.filter(status=status)
    # Exactly the columns of the `desktop_list_page` index: a page is read from the index
    # alone (see Desktop.Meta), so a deep page costs about what the first one does.
    return desktops.only(*LIST_COLUMNS)


# A "loose index scan": each step asks the status index for the next larger value, so the
# query costs one index probe per distinct status rather than a read of every desktop
# (SELECT DISTINCT). Standard SQL, on PostgreSQL and SQLite alike.
_STATUSES_SQL = """
WITH RECURSIVE present(status) AS (
    SELECT MIN(status) FROM {table}
    UNION ALL
    SELECT (SELECT MIN(status) FROM {table} WHERE status > present.status)
    FROM present WHERE present.status IS NOT NULL
)
SELECT status FROM present WHERE status IS NOT NULL
"""


def desktop_statuses() -> list[str]:
    """Return the statuses the inventory holds, in order (the status filter's choices)."""
    table = connection.ops.quote_name(Desktop._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_STATUSES_SQL.format(table=table))
        return [status for (status,) in cursor.fetchall()]


def desktop_get(*, desktop_id: str) -> Desktop:
    return get_object_or_404(Desktop, desktop_id=desktop_id)


def disk_request_list(
    *, status: str = "", desktop: str = "", requester: str = "", kind: str = ""
) -> QuerySet[DiskRequest]:
    """Return every request (helpdesk view), newest first, filtered."""
    requests = DiskRequest.objects.all()
    if status:
        requests = requests.filter(status=status)
    if kind:
        requests = requests.filter(kind=kind)
    if desktop:
        requests = requests.filter(
            Q(desktop_id__iexact=desktop) | Q(desktop_name__icontains=desktop)
        )
    if requester:
        requests = requests.filter(requested_by_username__icontains=requester)
    return requests


def disk_request_list_for_desktop(*, desktop_id: str) -> QuerySet[DiskRequest]:
    return DiskRequest.objects.filter(desktop_id=desktop_id)


def disk_request_in_flight_for_desktop(*, desktop_id: str) -> DiskRequest | None:
    return DiskRequest.objects.filter(
        desktop_id=desktop_id, status__in=DiskRequest.IN_FLIGHT_STATUSES
    ).first()


def disk_request_get(*, pk: int) -> DiskRequest:
    return get_object_or_404(DiskRequest, pk=pk)


def disk_request_pending_approval_list() -> QuerySet[DiskRequest]:
    """Requests waiting for a helpdesk decision (portal requests, deletions), oldest first."""
    return DiskRequest.objects.filter(status=DiskRequest.Status.PENDING_APPROVAL).order_by(
        "created_at", "id"
    )


# The inventory page: keyset pages and a capped count ------------------------------------------

# Counting the whole fleet is itself a read of every matching desktop; past this many the page
# says "more than" instead, and paging does not need the total.
DESKTOP_COUNT_CAP = 10_000


@dataclass(frozen=True)
class DesktopPage:
    desktops: list[Desktop]
    order: tuple[str, ...]
    has_previous: bool
    has_next: bool
    count: int  # matching desktops, exact up to DESKTOP_COUNT_CAP
    count_capped: bool  # more than DESKTOP_COUNT_CAP match
    start: int | None  # the first shown desktop's position (1-based), when known

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.desktops) - 1


def desktop_count_capped(desktops: QuerySet[Desktop]) -> tuple[int, bool]:
    """How many match, up to the cap: SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1)."""
    counted = desktops.order_by().values("pk")[: DESKTOP_COUNT_CAP + 1].count()
    return min(counted, DESKTOP_COUNT_CAP), counted > DESKTOP_COUNT_CAP


def desktop_list_page(
    desktops: QuerySet[Desktop],
    *,
    order: tuple[str, ...],
    after: PageCursor | None = None,
    before: PageCursor | None = None,
    last: bool = False,
    size: int,
) -> DesktopPage:
    """One page of the inventory in `order`: the first, the last, or next to a cursor's row.

    Two queries at any depth: the capped count and the page. A cursor whose row has gone
    (a stale link) still gives a page: past the end, the last; before the start, the first.
    """
    count, capped = desktop_count_capped(desktops)
    after_key = _cursor_key(order, after)
    before_key = _cursor_key(order, before)
    start: int | None = 1
    if after_key is not None and after is not None:
        window = keyset_window(desktops, order, after=after_key, size=size)
        start = None if after.position is None else after.position + 1
        last = not window.items
    elif before_key is not None and before is not None:
        window = keyset_window(desktops, order, before=before_key, size=size)
        start = None if before.position is None else before.position - len(window.items)
        if not window.has_previous:
            start = 1
            if len(window.items) < size:
                window = keyset_window(desktops, order, size=size)
    elif not last:
        window = keyset_window(desktops, order, size=size)
    if last:
        window = keyset_window(desktops, order, last=True, size=size)
        start = None if capped else count - len(window.items) + 1
    if not window.has_next and not capped:
        start = count - len(window.items) + 1  # the end is known exactly: a drift corrected
    return DesktopPage(
        desktops=window.items,
        order=order,
        has_previous=window.has_previous,
        has_next=window.has_next,
        count=count,
        count_capped=capped,
        start=max(start, 1) if start is not None else None,
    )


def _cursor_key(order: tuple[str, ...], cursor: PageCursor | None) -> list[Any] | None:
    """The cursor's key as the order's columns' values, or None if it does not fit them."""
    if cursor is None or len(cursor.key) != len(order):
        return None
    fields = [Desktop._meta.get_field(field.removeprefix("-")) for field in order]
    try:
        return [
            field.to_python(value) if isinstance(field, Field) else value
            for field, value in zip(fields, cursor.key, strict=True)
        ]
    except ValidationError:
        return None
