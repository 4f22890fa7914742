"""The interface's small building blocks: icons, copy buttons, words for cloud task names,
sortable column headers and the helpdesk's pending-approval count."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

register = template.Library()

# Task names the cloud reports in a desktop's `task_status`, in words an end user reads.
TASK_WORDS = {
    "creatingWksSnapshot": gettext_lazy("taking a snapshot"),
    "deletingWksSnapshot": gettext_lazy("deleting a snapshot"),
    "restoringWksSnapshot": gettext_lazy("restoring a snapshot"),
    "addingVolumes": gettext_lazy("adding disks"),
    "expandingVolumes": gettext_lazy("enlarging disks"),
    "deletingVolumes": gettext_lazy("removing disks"),
    "rebuilding": gettext_lazy("being rebuilt"),
    "desktopResizing": gettext_lazy("changing size"),
    "restoring": gettext_lazy("being restored"),
    "resizing": gettext_lazy("changing size"),
    "rebooting": gettext_lazy("restarting"),
    "reboot_started": gettext_lazy("restarting"),
    "reboot_pending": gettext_lazy("restarting"),
    "powering-off": gettext_lazy("shutting down"),
    "powering-on": gettext_lazy("starting"),
    "starting": gettext_lazy("starting"),
    "stopping": gettext_lazy("shutting down"),
    "migrating": gettext_lazy("moving to another host"),
    "updating": gettext_lazy("being updated"),
    "deleting": gettext_lazy("being deleted"),
    "image_uploading": gettext_lazy("saving an image"),
    "image_snapshot": gettext_lazy("taking an image snapshot"),
}

STATUS_WORDS = {
    "ACTIVE": gettext_lazy("Running"),
    "SHUTOFF": gettext_lazy("Shut down"),
    "HIBERNATED": gettext_lazy("Hibernated"),
    "ERROR": pgettext_lazy("desktop status", "Error"),
    "BUILD": gettext_lazy("Being built"),
    "REBOOT": gettext_lazy("Restarting"),
}


@register.simple_tag
def icon(name: str, label: str = ""):
    """An icon from static/icons.svg: decorative unless given a label."""
    href = f"{static('icons.svg')}#i-{name}"
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}"><use href="{}"></use></svg>', label, href
        )
    return format_html('<svg class="icon" aria-hidden="true"><use href="{}"></use></svg>', href)


@register.simple_tag
def copy_button(value: str, what: str):
    """A button that copies `value` (an id) to the clipboard; shown only when script runs."""
    return format_html(
        '<button type="button" class="copy" data-copy="{}" data-copied="{}" hidden>'
        '<svg class="icon" aria-hidden="true"><use href="{}"></use></svg>'
        '<span class="visually-hidden">{}</span></button>',
        value,
        _("Copied"),
        f"{static('icons.svg')}#i-copy",
        _("Copy %(what)s") % {"what": what},
    )


@register.filter
def task_words(task_status: str) -> str:
    """A cloud task name (`creatingWksSnapshot`) in words ("taking a snapshot")."""
    if not task_status:
        return ""
    return str(TASK_WORDS.get(task_status, _("busy with another task")))


@register.filter
def status_words(status: str) -> str:
    """A desktop's power state in words ("Running" for ACTIVE)."""
    return str(STATUS_WORDS.get(status or "", status or _("Unknown")))


@register.inclusion_tag("disks/_sort_header.html", takes_context=True)
def sort_header(context, field: str, label: str, numeric: bool = False):
    """A column header that sorts the list by `field` (ascending, then descending)."""
    request = context["request"]
    current = request.GET.get("sort", "")
    if current == field:
        next_sort, state = f"-{field}", "ascending"
    elif current == f"-{field}":
        next_sort, state = field, "descending"
    else:
        next_sort, state = field, "none"
    query = request.GET.copy()
    query["sort"] = next_sort
    for cursor in ("page", "after", "before", "last"):  # a new order starts at its first page
        query.pop(cursor, None)
    return {"label": label, "href": f"?{query.urlencode()}", "state": state, "numeric": numeric}


@register.simple_tag
def pending_approval_count() -> int:
    """How many portal requests wait for approval (for the helpdesk's navigation)."""
    from disks.selectors.attention import pending_approval_count as count

    return count()


@register.simple_tag(takes_context=True)
def requests_under_way(context) -> dict:
    """The signed-in end user's waiting or running requests, by desktop id (portal home)."""
    from disks.selectors.attention import disk_requests_under_way_for_user

    return disk_requests_under_way_for_user(user=context["request"].user)


@register.filter
def lookup(mapping: dict, key):
    """mapping[key], or None: for dicts keyed by ids in templates."""
    return mapping.get(key) if mapping else None
