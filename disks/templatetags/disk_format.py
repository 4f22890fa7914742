"""Small display filters for requests and jobs."""

from datetime import UTC, datetime, timedelta

from django import template
from django.utils.timesince import timesince

register = template.Library()

_RESULTS = {
    "pending_approval": "Waiting for approval",
    "rejected": "Not added (rejected)",
    "submitting": "Being sent",
    "running": "Being added",
    "succeeded": "Added",
    "failed": "Not added",
    "needs_review": "Unknown: needs a check",
}


@register.filter
def duration(value: timedelta | None) -> str:
    """Render a duration as "42 s", "3 min 5 s" or "2 h 10 min"."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@register.filter
def duration_words(value: timedelta | None) -> str:
    """Render a duration in words, translated: "15 minutes", "1 hour, 30 minutes"."""
    if not value:
        return ""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return timesince(start, now=start + value)


@register.filter
def disk_result(disk_request) -> str:
    """One disk's result in words. AddDesktopVolumes has one job for all of a request's disks."""
    return _RESULTS.get(disk_request.status, disk_request.status)
