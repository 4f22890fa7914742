"""Column sorting for the helpdesk's lists: only the columns offered, never a raw field name."""

from django.db.models import QuerySet

from disks.models import Desktop, DiskRequest

DESKTOP_SORTS = {
    "name": ("computer_name",),
    "user": ("user_name", "computer_name"),
    "status": ("status", "computer_name"),
    "disks": ("data_volume_count", "computer_name"),
}


def desktop_list_sorted(desktops: QuerySet[Desktop], sort: str) -> QuerySet[Desktop]:
    """Order the inventory by a column the page offers ("disks", "-disks", ...); else as is."""
    fields = DESKTOP_SORTS.get(sort.removeprefix("-"))
    if not fields:
        return desktops
    if sort.startswith("-"):
        return desktops.order_by(f"-{fields[0]}", *fields[1:])
    return desktops.order_by(*fields)


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
