"""The API's several timestamp formats (docs/workspace-api.md §1), all in UTC."""

from datetime import UTC, datetime


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def job_time(epoch: float) -> str:
    """Job and sub-job times: `2020-04-10 06:45:14` (space, no zone)."""
    return _utc(epoch).strftime("%Y-%m-%d %H:%M:%S")


def volume_time(epoch: float) -> str:
    """Volume `create_time`: `2022-03-28T00:00:00Z`."""
    return _utc(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")


def desktop_time(epoch: float) -> str:
    """Desktop `created`: `2022-01-21T06:57:47.459Z` (milliseconds)."""
    stamp = _utc(epoch)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def iam_time(epoch: float) -> str:
    """IAM token times: `2020-01-04T09:05:22.701000Z` (microseconds)."""
    return _utc(epoch).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log_time(epoch: float) -> str:
    """Request-log times: ISO 8601 with milliseconds."""
    return desktop_time(epoch)
