"""Helpdesk staff (group `helpdesk`): every desktop and every request.

They find desktops, add disks, and watch the cloud jobs. Every view here requires the
helpdesk audience; superusers count as helpdesk.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from disks import rules, selectors
from disks.access import HELPDESK, audience_required
from disks.actor import Actor, ActorAudience
from disks.client import WorkspaceError, get_client
from disks.cursors import PageCursor
from disks.http import HtmxHttpRequest
from disks.models import DiskRequest
from disks.selectors.keyset import keyset_key
from disks.selectors.sorting import desktop_list_order, disk_request_list_sorted
from disks.services.approvals import disk_request_approve, disk_request_reject
from disks.services.inventory import desktop_inventory_sync, desktop_refresh, disk_types_offered
from disks.services.quotas import quota_summary, quotas_read
from disks.services.requests import disk_request_submit
from disks.views.disk_form import DiskFormPage, disk_form_view
from disks.views.request_status import status_context, status_fragment

DESKTOPS_PER_PAGE = 25
REQUESTS_PER_PAGE = 25


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, audience=ActorAudience.HELPDESK)


@require_GET
@audience_required(HELPDESK)
def desktop_list(request: HtmxHttpRequest) -> HttpResponse:
    """The inventory, a keyset page at a time: `after=` / `before=` a cursor, or `last=1`."""
    search = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    order = desktop_list_order(request.GET.get("sort", ""))
    desktops = selectors.desktop_list(search=search, status=status)
    if "page" in request.GET:
        return _old_page_link(request, desktops, order)
    columns = len(order)
    page = selectors.desktop_list_page(
        desktops,
        order=order,
        after=PageCursor.decode(request.GET.get("after", ""), columns=columns),
        before=PageCursor.decode(request.GET.get("before", ""), columns=columns),
        last=request.GET.get("last") == "1",
        size=DESKTOPS_PER_PAGE,
    )
    context = {
        "page": page,
        "cursors": _neighbour_cursors(page),
        "search": search,
        "status": status,
        "statuses": selectors.desktop_statuses(),
        "max_disks": rules.MAX_DATA_DISKS_PER_DESKTOP,
        # Past the cap the count is the cap: "more than 10,000 desktops".
        "count_grouped": number_format(page.count, force_grouping=True),
    }
    template = "disks/helpdesk/desktop_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


def _neighbour_cursors(page: selectors.DesktopPage) -> dict[str, str]:
    """The `before=` cursor of the first shown desktop and the `after=` one of the last."""
    if not page.desktops:
        return {}
    first, last = page.desktops[0], page.desktops[-1]
    return {
        "previous": PageCursor(keyset_key(first, page.order), page.start).encode(),
        "next": PageCursor(keyset_key(last, page.order), page.end).encode(),
    }


# An old `?page=N` link skipping more desktops than this goes to the last page unread.
OLD_PAGE_MOST_SKIPPED = 10_000_000


def _old_page_link(request: HttpRequest, desktops, order: tuple[str, ...]) -> HttpResponse:
    """`?page=N` from before keyset paging (bookmarks): redirect to the same place by cursor.

    One OFFSET read for the row just before page N, paid only by such an old link.
    """
    query = request.GET.copy()
    number = query.pop("page", [""])[0]
    skipped = (int(number) - 1) * DESKTOPS_PER_PAGE if number.isdecimal() and number else 0
    if skipped > OLD_PAGE_MOST_SKIPPED:  # past any fleet, and past what OFFSET accepts
        query["last"] = "1"
    elif skipped > 0:
        keys = list(desktops.order_by(*order).values_list(*_columns(order))[skipped - 1 : skipped])
        if keys:
            query["after"] = PageCursor(list(keys[0]), skipped).encode()
        else:
            query["last"] = "1"
    url = reverse("disks:helpdesk-desktop-list")
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def _columns(order: tuple[str, ...]) -> list[str]:
    return [field.removeprefix("-") for field in order]


@require_POST
@audience_required(HELPDESK)
def desktop_sync(request: HttpRequest) -> HttpResponse:
    """Re-sync the whole inventory from the cloud now (the "refresh from cloud" button)."""
    try:
        summary = desktop_inventory_sync(actor=_actor(request))
    except WorkspaceError as error:
        messages.error(
            request,
            _("Could not refresh from the cloud: %(problem)s") % {"problem": error.human_message},
        )
    else:
        messages.success(
            request,
            ngettext(
                "Refreshed %(total)s desktop: %(new)s new, %(changed)s changed, %(removed)s removed.",
                "Refreshed %(total)s desktops: %(new)s new, %(changed)s changed, %(removed)s removed.",
                summary.total,
            )
            % {
                "total": summary.total,
                "new": len(summary.created),
                "changed": len(summary.updated),
                "removed": len(summary.removed),
            },
        )
        if summary.removal_refused:
            messages.warning(request, summary.removal_refused_message)
    return redirect("disks:helpdesk-desktop-list")


@require_GET
@audience_required(HELPDESK)
def desktop_detail(request: HttpRequest, desktop_id: str) -> HttpResponse:
    desktop = selectors.desktop_get(desktop_id=desktop_id)
    context = {
        "desktop": desktop,
        "disk_requests": selectors.disk_request_list_for_desktop(desktop_id=desktop_id)[:20],
        "in_flight": selectors.disk_request_in_flight_for_desktop(desktop_id=desktop_id),
    }
    return render(request, "disks/helpdesk/desktop_detail.html", context)


@require_POST
@audience_required(HELPDESK)
def desktop_refresh_view(request: HttpRequest, desktop_id: str) -> HttpResponse:
    """Re-read one desktop from the cloud (ShowDesktopDetail)."""
    selectors.desktop_get(desktop_id=desktop_id)
    try:
        desktop_refresh(desktop_id=desktop_id)
    except WorkspaceError as error:
        messages.error(
            request,
            _("Could not refresh the desktop: %(problem)s") % {"problem": error.human_message},
        )
        if error.status == 404:
            return redirect("disks:helpdesk-desktop-list")
    return redirect("disks:helpdesk-desktop-detail", desktop_id=desktop_id)


@require_http_methods(["GET", "POST"])
@audience_required(HELPDESK)
def disk_add(request: HttpRequest, desktop_id: str) -> HttpResponse:
    desktop = selectors.desktop_get(desktop_id=desktop_id)
    page = DiskFormPage(
        template="disks/helpdesk/disk_add.html",
        desktop=desktop,
        offer=disk_types_offered(),
        request_url_name="disks:helpdesk-request-detail",
        cancel_url=reverse("disks:helpdesk-desktop-detail", args=[desktop_id]),
        extra_context={
            # Read only if the form is shown again: a successful submit redirects.
            "in_flight": SimpleLazyObject(
                lambda: selectors.disk_request_in_flight_for_desktop(desktop_id=desktop_id)
            ),
            # Cached; a page never waits on retries for it, and a failed read shows nothing.
            "quota_summary": SimpleLazyObject(
                lambda: quota_summary(quotas_read(client=get_client(interactive=True)))
            ),
        },
    )

    def submit(form, formset) -> DiskRequest:
        return disk_request_submit(
            desktop_id=desktop.desktop_id,
            volumes=formset.volume_specs(),
            actor=_actor(request),
            idempotency_key=form.cleaned_data["idempotency_key"],
            enterprise_project_id=form.cleaned_data["enterprise_project_id"],
        )

    return disk_form_view(request, page, submit)


@require_GET
@audience_required(HELPDESK)
def request_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "status": request.GET.get("status", ""),
        "desktop": request.GET.get("desktop", "").strip()[:100],
        "requester": request.GET.get("requester", "").strip()[:150],
        "kind": request.GET.get("kind", ""),
    }
    disk_requests = disk_request_list_sorted(
        selectors.disk_request_list(**filters), request.GET.get("sort", "")
    )
    page = Paginator(disk_requests, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "statuses": DiskRequest.Status.choices,
        "kinds": DiskRequest.Kind.choices,
    }
    return render(request, "disks/helpdesk/request_list.html", context)


@require_GET
@audience_required(HELPDESK)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    disk_request = selectors.disk_request_get(pk=pk)
    context = status_context(disk_request, "disks:helpdesk-request-status")
    return render(request, "disks/helpdesk/request_detail.html", context)


@require_GET
@audience_required(HELPDESK)
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status fragment, polled by htmx while the request runs."""
    disk_request = selectors.disk_request_get(pk=pk)
    return status_fragment(request, disk_request, "disks:helpdesk-request-status")


@require_GET
@audience_required(HELPDESK)
def approval_list(request: HttpRequest) -> HttpResponse:
    """Requests held for a decision (portal requests above the policy's threshold, and
    deletions), oldest first, to approve or reject."""
    pending = selectors.disk_request_pending_approval_list()
    return render(request, "disks/helpdesk/approval_list.html", {"pending": pending})


@require_POST
@audience_required(HELPDESK)
def approval_approve(request: HttpRequest, pk: int) -> HttpResponse:
    disk_request = selectors.disk_request_get(pk=pk)
    try:
        disk_request = disk_request_approve(disk_request=disk_request, actor=_actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("disks:helpdesk-approval-list")
    messages.success(request, _("Request #%(pk)s approved and sent to the cloud.") % {"pk": pk})
    return redirect("disks:helpdesk-request-detail", pk=disk_request.pk)


@require_POST
@audience_required(HELPDESK)
def approval_reject(request: HttpRequest, pk: int) -> HttpResponse:
    disk_request = selectors.disk_request_get(pk=pk)
    try:
        disk_request_reject(
            disk_request=disk_request, actor=_actor(request), reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Request #%(pk)s rejected; the requester will see why.") % {"pk": pk}
        )
    return redirect("disks:helpdesk-approval-list")
