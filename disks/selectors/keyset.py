"""Keyset pages of desktops and requests: a page costs the same however deep.

The caller's selector scopes the rows (the helpdesk's or the user's own); these only cut a
page after the last row of the previous one (or before the first), never with OFFSET.
"""

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

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


# Keyset pages over any order: the helpdesk's desktop list -------------------------------------


@dataclass(frozen=True)
class KeysetWindow[Row: Model]:
    """One page read at a key, with whether the list goes on either side of it."""

    items: list[Row]
    has_previous: bool
    has_next: bool


def keyset_key(row: Model, order: Sequence[str]) -> list[Any]:
    """The row's values in the order's columns: what a cursor to just after (or before) it holds."""
    return [getattr(row, field.removeprefix("-")) for field in order]


def _reversed(order: Sequence[str]) -> list[str]:
    return [field.removeprefix("-") if field.startswith("-") else f"-{field}" for field in order]


def _beyond(order: Sequence[str], key: Sequence[Any]) -> Q:
    """Rows that come after `key` in `order` (each column ascending, or descending with "-").

    Column by column: greater in the first, or equal there and greater in the second, and so
    on. The leading `>=` on the first column repeats what the OR implies, so that the
    database can seek the order's index to the key instead of filtering from its start.
    """
    steps = []
    equal = Q()
    for field, value in zip(order, key, strict=True):
        name = field.removeprefix("-")
        beyond = "lt" if field.startswith("-") else "gt"
        steps.append(equal & Q(**{f"{name}__{beyond}": value}))
        equal &= Q(**{name: value})
    after = reduce(operator.or_, steps)
    first = order[0].removeprefix("-")
    bound = "lte" if order[0].startswith("-") else "gte"
    return Q(**{f"{first}__{bound}": key[0]}) & after


def keyset_window[Row: Model](
    rows: QuerySet[Row],
    order: Sequence[str],
    *,
    after: Sequence[Any] | None = None,
    before: Sequence[Any] | None = None,
    last: bool = False,
    size: int,
) -> KeysetWindow[Row]:
    """One page of `rows` in `order` (whose last column is unique), one query, never OFFSET.

    `after=key`: the page just after that row; `before=key`: the page just before it, read
    backwards; `last`: the list's last page, read backwards; none: the first page. Each reads
    `size + 1` rows to learn whether its own direction goes on; the other direction is taken
    to go on (the cursor came from a row shown there).
    """
    if after is not None:
        read = list(rows.filter(_beyond(order, after)).order_by(*order)[: size + 1])
        return KeysetWindow(items=read[:size], has_previous=True, has_next=len(read) > size)
    if before is not None or last:
        backwards = _reversed(order)
        if before is not None:
            rows = rows.filter(_beyond(backwards, before))
        read = list(rows.order_by(*backwards)[: size + 1])
        return KeysetWindow(
            items=read[:size][::-1], has_previous=len(read) > size, has_next=not last
        )
    read = list(rows.order_by(*order)[: size + 1])
    return KeysetWindow(items=read[:size], has_previous=False, has_next=len(read) > size)
