"""Reads of the audit history, for auditors: filtered pages, the summary, the export, the verdict.

Lists page by keyset on `sequence` (never OFFSET, never a COUNT of the whole table), so a
page costs the same at event one million as at event one; see the indexes on AuditEvent.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise

from disks.models import AuditChainHead, AuditEvent
from disks.models.audit import CANONICAL_FIELDS

PAGE_SIZE = 50
CHART_DEFAULT_DAYS = 30
CHART_MAX_DAYS = 90
CLOCK_SKEW_MARGIN = timedelta(hours=1)
EXPORT_CHUNK_SIZE = 2000
# Every recorded field (what the hash covers) but the internal user id, then the hash:
# derived, so that a field added to the chain is exported too.
EXPORT_COLUMNS = (*(name for name in CANONICAL_FIELDS if name != "actor_id"), "hash")
# What the list shows; the details, user agent and hashes stay on the detail page.
LIST_COLUMNS = (
    "sequence",
    "occurred_at",
    "actor_username",
    "audience",
    "action",
    "outcome",
    "desktop_id",
    "desktop_name",
    "disk_request_id",
    "error_code",
)

AUDIT_SUMMARY_CACHE_PREFIX = "audit:summary:"
AUDIT_SUMMARY_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class AuditFilters:
    """What the auditor asked for; empty values filter nothing. Dates are UTC, inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    actor: str = ""
    desktop: str = ""
    action: str = ""
    outcome: str = ""
    q: str = ""


def audit_event_list(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Return the events matching `filters`, newest first."""
    events: QuerySet[AuditEvent] = AuditEvent.objects.all()
    start = _day_start(filters.date_from) if filters.date_from else None
    # The day after the last one; none after date.max (9999-12-31), which has no next day.
    end = (
        _day_start(filters.date_to + timedelta(days=1))
        if filters.date_to and filters.date_to < date.max
        else None
    )
    if start:
        events = events.filter(occurred_at__gte=start)
    if end:
        events = events.filter(occurred_at__lt=end)
    if start or end:
        events = events.filter(_sequence_hint(start, end))
    if filters.actor:
        # An exact username is its own prefix. Case-sensitive, as usernames are, so that
        # PostgreSQL can use the (actor_username, sequence) pattern index.
        events = events.filter(actor_username__startswith=filters.actor)
    if filters.desktop:
        events = events.filter(_desktop_condition(filters.desktop))
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.q:
        events = _details_containing(events, filters.q)
    return events.order_by("-sequence")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _sequence_hint(start: datetime | None, end: datetime | None) -> Q:
    """The sequences a time range can hold, so that a keyset scan starts and stops there.

    Without it, the newest page of an old week walks back from the newest event through
    every later one (800,000 rows at a million events). Events are appended in time order
    (`occurred_at` is read under the chain's lock), so the range maps onto sequences; the
    bounds come from the occurred_at index, widened by a margin for clock skew between
    writers on different machines. The time filter itself still applies: this only
    narrows where the database looks.
    """
    hint = Q()
    # At the ends of the calendar (0001-01-01, 9999-12-31) the margin would overflow: no
    # event lies beyond them, so there is nothing to narrow.
    if start is not None and start - datetime.min.replace(tzinfo=UTC) > CLOCK_SKEW_MARGIN:
        earlier = AuditEvent.objects.filter(occurred_at__lt=start - CLOCK_SKEW_MARGIN)
        last_earlier = earlier.order_by("-occurred_at").values_list("sequence", flat=True)
        if (bound := last_earlier.first()) is not None:
            hint &= Q(sequence__gt=bound)
    if end is not None and datetime.max.replace(tzinfo=UTC) - end > CLOCK_SKEW_MARGIN:
        later = AuditEvent.objects.filter(occurred_at__gte=end + CLOCK_SKEW_MARGIN)
        first_later = later.order_by("occurred_at").values_list("sequence", flat=True)
        if (bound := first_later.first()) is not None:
            hint &= Q(sequence__lt=bound)
    return hint


def _desktop_condition(desktop: str) -> Q:
    """Match the desktop's id or its name, on one column when only one of them matches.

    An OR across two columns cannot read either index in sequence order, so PostgreSQL
    would walk the whole table for a desktop with few events; one column can. Two
    single-row lookups tell which column holds the value.
    """
    by_id = AuditEvent.objects.filter(desktop_id=desktop).exists()
    by_name = AuditEvent.objects.filter(desktop_name=desktop).exists()
    if by_id and by_name:
        return Q(desktop_id=desktop) | Q(desktop_name=desktop)
    return Q(desktop_name=desktop) if by_name else Q(desktop_id=desktop)


def _details_containing(events: QuerySet[AuditEvent], text: str) -> QuerySet[AuditEvent]:
    """Keep events whose details, as JSON text, contain `text` (case-insensitive).

    `details__icontains` is not portable on a JSONField, so the details are cast to text.
    No index serves this: it scans the rows the other filters leave (all of them when
    there are none), stopping once a page is full.
    SQLite keeps the JSON as written, with non-ASCII characters and quotes escaped;
    PostgreSQL prints them plainly. Searching for both spellings finds them on either.
    """
    escaped = json.dumps(text)[1:-1]
    condition = Q(details_text__icontains=text)
    if escaped != text:
        condition |= Q(details_text__icontains=escaped)
    return events.alias(details_text=Cast("details", TextField())).filter(condition)


# One page of the list ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    newer_after: int | None  # `after=` cursor of the next newer page, if there is one
    older_before: int | None  # `before=` cursor of the next older page, if there is one
    at_newest: bool  # this is the first page (no cursor was given)


def audit_event_page(
    *,
    filters: AuditFilters,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """Return one page of matching events, newest first, by keyset on sequence.

    No cursor: the newest page. `before=S`: the page just older than event S. `after=S`:
    the page just newer than S, read upwards and reversed. Each reads `size + 1` rows to
    learn whether its own direction goes on, and one single-row EXISTS for the other.
    """
    matching = audit_event_list(filters=filters).only(*LIST_COLUMNS)
    if after is not None:
        rows = list(matching.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        more_older = matching.filter(sequence__lte=after).exists()
    else:
        page = matching.filter(sequence__lt=before) if before is not None else matching
        rows = list(page[: size + 1])
        more_older = len(rows) > size
        rows = rows[:size]
        more_newer = before is not None and matching.filter(sequence__gte=before).exists()
    return AuditPage(
        events=rows,
        newer_after=rows[0].sequence if rows and more_newer else None,
        older_before=rows[-1].sequence if rows and more_older else None,
        at_newest=before is None and after is None,
    )


# The summary above the list -----------------------------------------------------------------


@dataclass(frozen=True)
class AuditSummary:
    first_day: date
    last_day: date
    per_day: list[tuple[date, int]]  # every day of the range, zeros included
    # (outcome, label, count), every outcome; the label is translated when it is shown.
    per_outcome: list[tuple[str, str | Promise, int]]
    total: int
    clipped: bool  # the selected range was longer than CHART_MAX_DAYS


def audit_summary(*, filters: AuditFilters, today: date | None = None) -> AuditSummary:
    """Count matching events per day and per outcome over the selected dates.

    Without dates it covers the last CHART_DEFAULT_DAYS; it never covers more than
    CHART_MAX_DAYS (the latest ones of the range), which bounds the rows it reads.
    """
    today = today or datetime.now(UTC).date()
    last_day = min(filters.date_to or today, today)  # no chart of days still to come
    first_day = filters.date_from or _days_before(last_day, CHART_DEFAULT_DAYS - 1)
    clipped = (last_day - first_day).days >= CHART_MAX_DAYS
    if clipped:
        first_day = _days_before(last_day, CHART_MAX_DAYS - 1)
    first_day = min(first_day, last_day)
    # Days that have ended never change (the history is append-only), so their counts are
    # cached; only today's are counted live. At a million events that is the difference
    # between ~40 ms and ~2 ms per page (docs/benchmarks.md, figure 4).
    counts = _ended_day_counts(filters, first_day, min(last_day, today - timedelta(days=1)))
    if last_day >= today:
        counts += _day_outcome_counts(filters, max(first_day, today), last_day)
    per_day: dict[date, int] = defaultdict(int)
    per_outcome: dict[str, int] = defaultdict(int)
    for day, outcome, count in counts:
        per_day[day] += count
        per_outcome[outcome] += count
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    return AuditSummary(
        first_day=first_day,
        last_day=last_day,
        per_day=[(day, per_day[day]) for day in days],
        per_outcome=[
            (value, label, per_outcome[value]) for value, label in AuditEvent.Outcome.choices
        ],
        total=sum(per_outcome.values()),
        clipped=clipped,
    )


def _days_before(day: date, days: int) -> date:
    """`days` days before `day`, or the calendar's first day (no OverflowError near it)."""
    return day - timedelta(days=min(days, (day - date.min).days))


def _day_outcome_counts(filters: AuditFilters, first: date, last: date) -> list[tuple]:
    """(day, outcome, count) of matching events from `first` to `last`, one grouped query."""
    if first > last:
        return []
    scope = audit_event_list(filters=replace(filters, date_from=first, date_to=last)).order_by()
    return list(
        scope.annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("day", "outcome")
        .annotate(count=Count("pk"))
        .values_list("day", "outcome", "count")
    )


def _ended_day_counts(filters: AuditFilters, first: date, last: date) -> list[tuple]:
    """The same for days that have ended, from the cache when it has them.

    The key covers the filters and the days; `generate_audit_events`, which writes events
    with past times, clears the cache (AUDIT_SUMMARY_CACHE_PREFIX).
    """
    if first > last:
        return []
    key_source = repr((replace(filters, date_from=None, date_to=None), first, last))
    key = AUDIT_SUMMARY_CACHE_PREFIX + hashlib.sha256(key_source.encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        counts = _day_outcome_counts(filters, first, last)
        cache.set(key, counts, AUDIT_SUMMARY_CACHE_SECONDS)
    return list(counts)


# One event ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainPosition:
    previous: AuditEvent | None
    next: AuditEvent | None
    content_matches_hash: bool
    links_to_previous: bool  # previous_hash is the previous event's hash (or genesis for #1)


def audit_event_get(*, pk: int) -> AuditEvent:
    return get_object_or_404(AuditEvent, pk=pk)


def audit_event_chain_position(*, event: AuditEvent) -> ChainPosition:
    """Return the event's neighbours by sequence and whether its own links hold."""
    neighbours = {
        other.sequence: other
        for other in AuditEvent.objects.filter(
            sequence__in=[event.sequence - 1, event.sequence + 1]
        ).only("pk", "sequence", "action", "hash")
    }
    previous = neighbours.get(event.sequence - 1)
    expected_previous_hash = (
        previous.hash
        if previous is not None
        else (AuditChainHead.GENESIS_HASH if event.sequence == 1 else None)
    )
    return ChainPosition(
        previous=previous,
        next=neighbours.get(event.sequence + 1),
        content_matches_hash=event.compute_hash() == event.hash,
        links_to_previous=event.previous_hash == expected_previous_hash,
    )


def audit_event_latest_time() -> datetime | None:
    """When the newest event happened, if there is one."""
    return AuditEvent.objects.order_by("-sequence").values_list("occurred_at", flat=True).first()


# The export ----------------------------------------------------------------------------------


def audit_event_export_rows(*, filters: AuditFilters) -> Iterator[tuple]:
    """Yield the matching events as EXPORT_COLUMNS tuples, oldest first, in chunks.

    Oldest first, so that each row's previous_hash is the row above's hash and the file
    can be checked on its own. The rows stream from a cursor: memory does not grow with
    the number of events.
    """
    rows = audit_event_list(filters=filters).order_by("sequence").values_list(*EXPORT_COLUMNS)
    return rows.iterator(chunk_size=EXPORT_CHUNK_SIZE)
