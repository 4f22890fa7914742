"""Reads for the helpdesk: desktops and disk requests."""

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from disks.models import Desktop, DiskRequest

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
