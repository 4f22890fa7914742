"""The API's timestamps (docs/workspace-api.md §1) read as aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_api_time(value: object) -> datetime | None:
    """Read an API time such as `2022-03-28T00:00:00Z`; None when absent or unreadable.

    A time without a zone is taken as UTC, as the API writes all its times in UTC.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
