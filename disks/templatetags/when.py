"""Times as people read them: in their own time zone and language, relative where that reads
better, with the exact time on hover.

The value is stored in UTC; `timezone.localtime` moves it to the zone the request activated
(disks/middleware.py: the person's choice, else the browser's, else TIME_ZONE), and Django's
`date_format` writes it in the active language's format (workspace_admin/formats/).
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def exact(value: datetime | None, format_name: str = "DATETIME_FORMAT") -> str:
    """The time in the person's zone and the language's format: "2026年12月1日 13:05"."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, format_name)


@register.filter
def relative(value: datetime | None) -> str:
    """ "3 minutes ago" or "in 5 minutes"; "just now" under a minute."""
    if not value:
        return ""
    now = timezone.now()
    seconds = (now - value).total_seconds()
    if abs(seconds) < 60:
        return _("just now")
    if seconds > 0:
        return _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    return _("in %(time)s") % {"time": timeuntil(value, now, depth=1)}


@register.simple_tag
def when(value: datetime | None, style: str = "relative"):
    """A <time> element: relative words (or the exact time, style="exact"), the exact time and
    zone on hover."""
    if not value:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    seconds = f"{date_format(local, 'DATE_FORMAT')} {date_format(local, 'H:i:s')}"
    title = f"{seconds} {local.tzname() or ''}".strip()
    shown = relative(value) if style == "relative" else exact(value)
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), title, shown)
