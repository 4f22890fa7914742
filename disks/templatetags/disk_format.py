"""Small display filters for requests and jobs."""

from datetime import UTC, datetime, timedelta

from django import template
from django.utils.timesince import timesince
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

register = template.Library()

_RESULTS = {
    "pending_approval": _("Waiting for approval"),
    "rejected": _("Not added (rejected)"),
    "submitting": _("Being sent"),
    "running": _("Being added"),
    "succeeded": pgettext_lazy("disk result", "Added"),
    "failed": _("Not added"),
    "needs_review": _("Unknown: needs a check"),
}


@register.filter
def duration(value: timedelta | None) -> str:
    """Render a duration as "42 s", "3 min 5 s" or "2 h 10 min"."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return gettext("%(seconds)s s") % {"seconds": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return gettext("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}
    hours, minutes = divmod(minutes, 60)
    return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}


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


# Progress is announced to screen readers only when it passes one of these.
MILESTONES = (25, 50, 75)


@register.filter
def status_announcement(disk_request) -> str:
    """The short sentence a screen reader hears when the status changes or passes a milestone.

    The fragment is re-rendered every few seconds; this sentence changes only with the
    state or at 25, 50 and 75 %, so the live region speaks rarely.
    """
    from django.utils.translation import gettext as _

    state = str(disk_request.get_status_display())
    progress = disk_request.progress
    if disk_request.status == "running" and progress is not None:
        passed = [milestone for milestone in MILESTONES if progress >= milestone]
        if passed:
            return _("%(state)s: more than %(percent)s%% done.") % {
                "state": state,
                "percent": passed[-1],
            }
    return _("Request #%(pk)s: %(state)s.") % {"pk": disk_request.pk, "state": state}


@register.filter
def batch_announcement(progress, batch) -> str:
    """The sentence a screen reader hears about a batch: its summary, never its rows.

    The fragment is re-rendered every few seconds while desktops finish one by one; this
    sentence changes only with the batch's state, at 25, 50 and 75 %, and when a desktop
    fails, so the live region speaks rarely. At the end it gives the counts.
    """
    from django.utils.translation import gettext as _

    numbers = {
        "pk": batch.pk,
        "state": str(batch.get_status_display()),
        "done": progress.done,
        "failed": progress.failed,
        "skipped": progress.skipped,
    }
    if progress.finished:
        return (
            _("Batch #%(pk)s: %(state)s. %(done)s done, %(failed)s failed, %(skipped)s skipped.")
            % numbers
        )
    passed = [milestone for milestone in MILESTONES if progress.percent >= milestone]
    if passed:
        return _(
            "Batch #%(pk)s: %(state)s, more than %(percent)s%% finished, %(failed)s failed."
        ) % {**numbers, "percent": passed[-1]}
    return _("Batch #%(pk)s: %(state)s, %(failed)s failed.") % numbers


@register.filter
def without_api_prefix(message: str) -> str:
    """The API's error message without the client's "The Workspace API refused …:" lead-in.

    The form already says "The cloud refused the request"; saying it twice reads badly.
    """
    for prefix in (
        gettext("The Workspace API refused the request: %(cloud)s") % {"cloud": ""},
        "The Workspace API refused the request: ",
        "The Workspace API refused the request",
    ):
        if message.startswith(prefix):
            return message.removeprefix(prefix).lstrip(" :")
    return message


@register.filter
def error_code_words(code: str) -> str:
    """The cloud's error code with our translated explanation of it, where we know the code.

    The cloud's own message is shown beside it, verbatim (the request's error_message).
    """
    from disks.selectors.insights import REFUSAL_MEANINGS

    if not code:
        return ""
    meaning = REFUSAL_MEANINGS.get(code)
    if meaning is None:
        return gettext("Error code %(code)s.") % {"code": code}
    return gettext("Error code %(code)s: %(meaning)s") % {"code": code, "meaning": meaning}


@register.simple_tag
def retry_href(disk_request, status_url_name: str) -> str:
    """The add-disk form of the request's desktop, pre-filled with the same disks ("Try again").

    The disks travel in the query string (`type`, `size`, `iops`, `throughput` per disk), so
    the form needs no lookup and shows only what the link says.
    """
    from urllib.parse import urlencode

    from django.urls import reverse

    audience = "portal" if status_url_name.startswith("disks:portal-") else "helpdesk"
    url = reverse(f"disks:{audience}-disk-add", args=[disk_request.desktop_id])
    query = [
        (name, volume.get(name) or "")
        for volume in disk_request.volumes
        for name in ("type", "size", "iops", "throughput")
    ]
    return f"{url}?{urlencode(query)}"
