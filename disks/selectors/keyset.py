"""Keyset pages of desktops and requests for the API: a page costs the same however deep.

The caller's selector scopes the rows (the helpdesk's or the user's own); these only cut a
page after the last row of the previous one, never with OFFSET.
"""

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from disks.models import Desktop, DiskRequest


@dataclass(frozen=True)
class KeysetPage[Row: Model]:
    items: list[Row]
    has_more: bool


def desktop_keyset_page(
    *, desktops: QuerySet[Desktop], after: tuple[str, str] | None, size: int
) -> KeysetPage[Desktop]:
    """Desktops by (computer_name, desktop_id), after the given pair if any."""
    ordered = desktops.order_by("computer_name", "desktop_id")
    if after is not None:
        name, desktop_id = after
        ordered = ordered.filter(
            Q(computer_name__gt=name) | Q(computer_name=name, desktop_id__gt=desktop_id)
        )
    rows = list(ordered[: size + 1])
    return KeysetPage(items=rows[:size], has_more=len(rows) > size)


def disk_request_keyset_page(
    *, disk_requests: QuerySet[DiskRequest], before: int | None, size: int
) -> KeysetPage[DiskRequest]:
    """Requests newest first (by id, which grows with created_at), older than `before`."""
    ordered = disk_requests.order_by("-id")
    if before is not None:
        ordered = ordered.filter(pk__lt=before)
    rows = list(ordered[: size + 1])
    return KeysetPage(items=rows[:size], has_more=len(rows) > size)
