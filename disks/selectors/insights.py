"""Reads for the operations page (/insights/): how requests went over a period.

Like the audit summary (disks.selectors.audit), counts per day for days that have ended are
cached (the history is append-only and a finished request does not change), and only today
is counted live, so a page over a long period stays fast however large the history grows.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from disks import rules
from disks.models import AuditEvent, Desktop, DiskRequest

DEFAULT_DAYS = 30
MAX_DAYS = 366
CACHE_SECONDS = 24 * 3600
CACHE_PREFIX = "insights:"
TOP = 10

Status = DiskRequest.Status

# How a request ended, for the per-day chart: final statuses, and everything else as open.
OUTCOMES = (
    ("succeeded", _("done")),
    ("failed", _("failed")),
    ("needs_review", _("needs review")),
    ("rejected", _("rejected")),
    ("open", _("not finished")),
)

# What the cloud's refusal codes mean, in plain words (docs/workspace-api.md and the
# simulator's own codes, workspace_sim/README.md).
REFUSAL_MEANINGS = {
    "WKS.0001": _("The request was empty or malformed."),
    "WKS.0407": _("The desktop was busy: disks were already being added."),
    "WKS.SIM0102": _("A disk size was outside 10 to 32760 GB or not a multiple of 10."),
    "WKS.SIM0103": _("The disk type is not offered, or sold out."),
    "WKS.SIM0104": _("Too many (or no) disks in one request."),
    "WKS.SIM0105": _("The desktop would pass 10 data disks."),
    "WKS.SIM0106": _("GPSSD2 performance settings were missing or out of range."),
    "WKS.SIM0201": _("The cloud does not know the desktop."),
    "WKS.SIM0301": _("The desktop was not running (ACTIVE)."),
    "WKS.SIM0302": _("The desktop was busy with another task."),
    "WKS.SIM0501": _("The tenant's disk quota was used up."),
}


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def days(self) -> list[date]:
        return [
            self.first_day + timedelta(days=n)
            for n in range((self.last_day - self.first_day).days + 1)
        ]

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first_day, time.min, tzinfo=UTC)
        return start, datetime.combine(self.last_day, time.min, tzinfo=UTC) + timedelta(days=1)


def insights_period(
    *, first_day: date | None, last_day: date | None, today: date | None = None
) -> Period:
    """The period asked for, within MAX_DAYS and not past today; the last 30 days by default."""
    today = today or datetime.now(UTC).date()
    last = min(last_day or today, today)
    first = first_day or last - timedelta(days=DEFAULT_DAYS - 1)
    first = max(min(first, last), last - timedelta(days=MAX_DAYS - 1))
    return Period(first, last)


def _cached_per_day(name: str, period: Period, count, today: date) -> list[tuple]:
    """count(first, last) -> rows with a day first; ended days from the cache, today live."""
    rows: list[tuple] = []
    ended_last = min(period.last_day, today - timedelta(days=1))
    if period.first_day <= ended_last:
        key = _cache_key(f"{name}:{period.first_day}:{ended_last}")
        ended = cache.get(key)
        if ended is None:
            ended = count(period.first_day, ended_last)
            cache.set(key, ended, CACHE_SECONDS)
        rows += ended
    if period.last_day >= today:
        rows += count(max(period.first_day, today), period.last_day)
    return rows


def _cache_key(source: str) -> str:
    return CACHE_PREFIX + hashlib.sha256(source.encode()).hexdigest()


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return Period(first, last).bounds()


def _requests_counted(first: date, last: date) -> list[tuple]:
    start, end = _bounds(first, last)
    return list(
        DiskRequest.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "status")
        .annotate(count=Count("*"))
        .order_by()
        .values_list("day", "status", "count")
    )


@dataclass(frozen=True)
class DayOutcomes:
    day: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def requests_per_day(*, period: Period, today: date | None = None) -> list[DayOutcomes]:
    """Requests created each day of the period, by how they ended (or "open")."""
    today = today or datetime.now(UTC).date()
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, status, count in _cached_per_day("requests", period, _requests_counted, today):
        outcome = status if status in DiskRequest.TERMINAL_STATUSES else "open"
        per_day[day][outcome] += count
    return [
        DayOutcomes(day, {name: per_day[day][name] for name, _label in OUTCOMES})
        for day in period.days
    ]


@dataclass(frozen=True)
class Durations:
    kind: str
    count: int
    p50: float
    p90: float
    p99: float


def _percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with `fraction` of them at or below it."""
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def job_duration_percentiles(*, period: Period) -> list[Durations]:
    """Submission to final status of requests finished in the period: p50/p90/p99 by kind.

    Nearest-rank percentiles (the smallest duration with at least that fraction of the
    kind's durations at or below it), which is what PostgreSQL's percentile_disc computes:
    there the database sorts and picks (an index on finished_at finds the period's rows);
    elsewhere (SQLite) the period's durations are read and picked in Python.

    The answer is cached until another request of the period finishes: `finished_at` is
    stamped once, by the move to a final status, at the time of the move, so the latest
    one (an index lookup) changes whenever the period's set of durations does. Sorting a
    month of durations costs more than that lookup and the cache read together
    (docs/benchmarks.md, figure 4b).
    """
    start, end = period.bounds()
    latest = _latest_finished(start, end)
    if latest is None:
        return []
    key = _cache_key(f"durations:{period.first_day}:{period.last_day}:{latest.isoformat()}")
    durations = cache.get(key)
    if durations is None:
        if connection.vendor == "postgresql":
            durations = _percentiles_in_sql(start, end)
        else:
            durations = _percentiles_in_python(start, end)
        cache.set(key, durations, CACHE_SECONDS)
    return durations


def _latest_finished(start: datetime, end: datetime) -> datetime | None:
    return (
        DiskRequest.objects.filter(finished_at__gte=start, finished_at__lt=end)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


_PERCENTILES = (0.5, 0.9, 0.99)


def _percentiles_in_sql(start: datetime, end: datetime) -> list[Durations]:
    table = connection.ops.quote_name(DiskRequest._meta.db_table)
    fractions = ", ".join(str(fraction) for fraction in _PERCENTILES)
    sql = (
        f"SELECT kind, COUNT(*), percentile_disc(ARRAY[{fractions}]) "  # noqa: S608
        "WITHIN GROUP (ORDER BY finished_at - submitted_at) "
        f"FROM {table} WHERE finished_at >= %s AND finished_at < %s "
        "AND submitted_at IS NOT NULL GROUP BY kind"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        rows = cursor.fetchall()
    return [
        Durations(kind, count, *(duration.total_seconds() for duration in durations))
        for kind, count, durations in sorted(rows)
    ]


def _percentiles_in_python(start: datetime, end: datetime) -> list[Durations]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    rows = DiskRequest.objects.filter(
        finished_at__gte=start, finished_at__lt=end, submitted_at__isnull=False
    ).values_list("kind", "submitted_at", "finished_at")
    for kind, submitted, finished in rows.iterator(chunk_size=5000):
        if submitted is not None and finished is not None:  # the filter says so; mypy cannot
            by_kind[kind].append((finished - submitted).total_seconds())
    result = []
    for kind, values in sorted(by_kind.items()):
        values.sort()
        result.append(Durations(kind, len(values), *(_percentile(values, f) for f in _PERCENTILES)))
    return result


def _refusals_counted(first: date, last: date) -> list[tuple]:
    start, end = _bounds(first, last)
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.REQUEST_REFUSED, occurred_at__gte=start, occurred_at__lt=end
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("day", "error_code")
        .annotate(count=Count("*"))
        .order_by()
        .values_list("day", "error_code", "count")
    )


@dataclass(frozen=True)
class Refusal:
    code: str
    count: int
    meaning: str


def refusal_codes(*, period: Period, today: date | None = None) -> list[Refusal]:
    """The most frequent refusal codes of the period, with what they mean."""
    today = today or datetime.now(UTC).date()
    totals: dict[str, int] = defaultdict(int)
    for _day, code, count in _cached_per_day("refusals", period, _refusals_counted, today):
        totals[code or ""] += count
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [
        Refusal(
            code or "-",
            count,
            str(REFUSAL_MEANINGS.get(code, _("A code of the cloud's own; see the audit events."))),
        )
        for code, count in ranked
    ]


def desktops_near_the_disk_limit() -> list[Desktop]:
    """The desktops with the fewest free data-disk slots (at most TOP), fullest first."""
    return list(
        Desktop.objects.filter(data_volume_count__gte=rules.MAX_DATA_DISKS_PER_DESKTOP // 2)
        .order_by("-data_volume_count", "computer_name")
        .only("desktop_id", "computer_name", "data_volume_count")[:TOP]
    )
