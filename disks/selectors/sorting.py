"""Column sorting for the helpdesk's lists: only the columns offered, never a raw field name."""

from django.db.models import QuerySet

from disks.models import DiskRequest

DESKTOP_SORTS = {
    "name": ("computer_name",),
    "user": ("user_name", "computer_name"),
    "status": ("status", "computer_name"),
    "disks": ("data_volume_count", "computer_name"),
}


# The inventory's own order (Desktop.Meta) and the `desktop_list_page` index's first columns.
DESKTOP_DEFAULT_ORDER = ("computer_name", "desktop_id")


def desktop_list_order(sort: str) -> tuple[str, ...]:
    """The columns the inventory is ordered by for a sort the page offers ("disks", "-disks").

    Always ending with the unique desktop id, so that a keyset page (selectors.keyset) never
    skips or repeats a desktop that shares the other columns with its neighbour.
    """
    fields = DESKTOP_SORTS.get(sort.removeprefix("-"))
    if not fields:
        return DESKTOP_DEFAULT_ORDER
    if sort.startswith("-"):
        fields = (f"-{fields[0]}", *fields[1:])
    return (*fields, "desktop_id")


REQUEST_SORTS = {
    "request": ("pk",),
    "desktop": ("desktop_name", "-pk"),
    "status": ("status", "-pk"),
    "requester": ("requested_by_username", "-pk"),
    "when": ("created_at", "pk"),
}


def disk_request_list_sorted(requests: QuerySet[DiskRequest], sort: str) -> QuerySet[DiskRequest]:
    """Order requests by a column the page offers ("-when", "status", ...); else as is."""
    fields = REQUEST_SORTS.get(sort.removeprefix("-"))
    if not fields:
        return requests
    if sort.startswith("-"):
        return requests.order_by(f"-{fields[0]}", *fields[1:])
    return requests.order_by(*fields)
