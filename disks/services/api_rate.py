"""The API rate limit's counter: calls per caller per minute, in ApiRateWindow.

One statement a call: INSERT ... ON CONFLICT DO UPDATE ... RETURNING (PostgreSQL, and
SQLite from 3.35). Django's database cache, which counted before, cost a SELECT, a
COUNT(*) of the whole cache table and an INSERT or UPDATE, twice, per call
(docs/benchmarks.md, figure 1b).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from disks.models import ApiRateWindow

# A window is kept a little past its minute, so that a prune never races the current one.
KEEP_WINDOWS_SECONDS = 120


def _upsert_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(ApiRateWindow._meta.db_table)
    key, start, calls = quote("key"), quote("window_start"), quote("calls")
    return (
        f"INSERT INTO {table} ({key}, {start}, {calls}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({key}, {start}) DO UPDATE SET {calls} = {table}.{calls} + 1 "
        f"RETURNING {calls}"
    )


def api_rate_count(key: str, window_start: datetime) -> int:
    """Count one call for `key` in the minute starting at `window_start`; return the calls so far."""
    value = connection.ops.adapt_datetimefield_value(window_start)
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [key, value])
        (calls,) = cursor.fetchone()
    return calls


def api_rate_windows_prune(*, now: datetime | None = None) -> int:
    """Delete the windows of minutes that have passed; return how many went."""
    before = (now or timezone.now()) - timedelta(seconds=KEEP_WINDOWS_SECONDS)
    return ApiRateWindow.objects.filter(window_start__lt=before).delete()[0]
