"""Small display filters for requests and jobs."""

from datetime import UTC, datetime, timedelta

from django import template
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

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


# Expand and delete, where their words differ from add's.
_KIND_RESULTS = {
    "expand": {
        "rejected": _("Not expanded (rejected)"),
        "running": _("Being expanded"),
        "succeeded": _("Expanded"),
        "failed": _("Not expanded"),
    },
    "delete": {
        "rejected": _("Not deleted (rejected)"),
        "running": _("Being deleted"),
        "succeeded": _("Deleted"),
        "failed": _("Not deleted"),
    },
}


@register.filter
def duration_words(value: timedelta | None) -> str:
    """Render a duration in words, translated: "15 minutes", "1 hour, 30 minutes"."""
    if not value:
        return ""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return timesince(start, now=start + value)


@register.filter
def disk_result(disk_request) -> str:
    """One disk's result in words. One job carries all of a request's disks."""
    words = _KIND_RESULTS.get(disk_request.kind, {}).get(disk_request.status)
    return str(words or _RESULTS.get(disk_request.status, disk_request.status))
