"""Expand and delete pages: helpdesk staff (group `helpdesk`) expand and delete any desktop's
data disks; end users (group `end_user`) expand their own desktops' disks within the portal
policy, and never delete.

The expand page serves its htmx fragment too: as the new size is typed, the server checks
it and answers with the field's errors and the change (old -> new, difference). The delete
page lists the chosen disks and asks for the desktop's computer name before anything is
recorded; a second helpdesk member then approves it (services.volume_changes).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from disks import rules, selectors
from disks.access import END_USER, HELPDESK, audience_required
from disks.actor import Actor, ActorAudience
from disks.forms import DeleteForm, ExpandForm
from disks.models import Desktop, DiskRequest
from disks.policy import PortalPolicy
from disks.services.volume_changes import disk_delete_submit, disk_expand_submit, gigabytes_quota


@dataclass
class ExpandPage:
    """What differs between the helpdesk's and the portal's expand page."""

    desktop: Desktop
    in_flight: DiskRequest | None
    request_url_name: str
    cancel_url: str
    max_size_gb: int = rules.MAX_DISK_GB
    policy: PortalPolicy | None = None


@require_http_methods(["GET", "POST"])
@audience_required(HELPDESK)
def helpdesk_disk_expand(request: HttpRequest, desktop_id: str, volume_id: str) -> HttpResponse:
    desktop = selectors.desktop_get(desktop_id=desktop_id)
    page = ExpandPage(
        desktop=desktop,
        in_flight=selectors.disk_request_in_flight_for_desktop(desktop_id=desktop_id),
        request_url_name="disks:helpdesk-request-detail",
        cancel_url=reverse("disks:helpdesk-desktop-detail", args=[desktop_id]),
    )
    actor = Actor.from_request(request, audience=ActorAudience.HELPDESK)
    return _expand_view(request, page, volume_id, actor)


@require_http_methods(["GET", "POST"])
@audience_required(END_USER)
def portal_disk_expand(request: HttpRequest, desktop_id: str, volume_id: str) -> HttpResponse:
    desktop = selectors.desktop_get_for_user(user=request.user, desktop_id=desktop_id)
    policy = PortalPolicy.from_settings()
    page = ExpandPage(
        desktop=desktop,
        in_flight=selectors.disk_request_in_flight_for_user_desktop(
            user=request.user, desktop_id=desktop_id
        ),
        request_url_name="disks:portal-request-detail",
        cancel_url=reverse("disks:portal-home"),
        max_size_gb=policy.max_disk_gb,
        policy=policy,
    )
    actor = Actor.from_request(request, audience=ActorAudience.PORTAL)
    return _expand_view(request, page, volume_id, actor)


def _expand_view(
    request: HttpRequest, page: ExpandPage, volume_id: str, actor: Actor
) -> HttpResponse:
    disk = selectors.data_volume_get(desktop=page.desktop, volume_id=volume_id)
    form_kwargs: dict[str, Any] = {
        "disk": disk,
        "others": selectors.data_volumes_other_than(desktop=page.desktop, volume_id=volume_id),
        "max_size_gb": page.max_size_gb,
    }
    if request.method != "POST":
        return _expand_render(request, page, disk, ExpandForm.fresh(**form_kwargs))
    form = ExpandForm(request.POST, **form_kwargs)
    valid = form.is_valid()
    if request.POST.get("action") == "validate" or not valid:
        return _expand_render(request, page, disk, form)
    try:
        held = page.policy is not None and page.policy.expand_needs_approval(form.added_gb)
        disk_request = disk_expand_submit(
            desktop_id=page.desktop.desktop_id,
            new_sizes=form.new_sizes(),
            actor=actor,
            idempotency_key=form.cleaned_data["idempotency_key"],
            hold_for_approval=held,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _expand_render(request, page, disk, form)
    if disk_request.status == DiskRequest.Status.FAILED and not disk_request.job_id:
        # Refused by the cloud: say why on the form and give the next attempt its own key.
        messages.error(request, disk_request.error_message)
        retry = ExpandForm.fresh(**form_kwargs)
        return _expand_render(request, page, disk, retry, refused=disk_request)
    if disk_request.error_message and not disk_request.is_terminal:
        messages.warning(request, disk_request.error_message)
    return redirect(page.request_url_name, pk=disk_request.pk)


def _expand_render(
    request, page: ExpandPage, disk: dict, form: ExpandForm, refused=None
) -> HttpResponse:
    # A keystroke's check (htmx, action=validate) keeps only the field's errors: no quota read.
    validating = request.htmx and request.POST.get("action") == "validate"
    quota = None if validating else gigabytes_quota()
    added = form.added_gb
    context = {
        "desktop": page.desktop,
        "disk": disk,
        "form": form,
        "in_flight": page.in_flight,
        "request_url_name": page.request_url_name,
        "cancel_url": page.cancel_url,
        "quota": quota,
        "over_quota": quota is not None and not quota.allows(added),
        "policy": page.policy,
        "held": page.policy is not None and page.policy.expand_needs_approval(added),
        "refused": refused,
    }
    template = "disks/volumes/expand.html"
    if request.htmx and not request.htmx.boosted:
        template += "#expand-form"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@audience_required(HELPDESK)
def helpdesk_disk_delete(request: HttpRequest, desktop_id: str) -> HttpResponse:
    """The chosen disks (`volume` values), the typed confirmation, then the request."""
    desktop = selectors.desktop_get(desktop_id=desktop_id)
    source = request.POST if request.method == "POST" else request.GET
    volumes, unknown = selectors.volumes_for_deletion(
        desktop=desktop, volume_ids=source.getlist("volume")
    )
    form = DeleteForm(request.POST) if request.method == "POST" else DeleteForm.fresh()
    if request.method == "POST" and form.is_valid() and volumes and not unknown:
        try:
            disk_request = disk_delete_submit(
                desktop_id=desktop_id,
                volume_ids=[volume["volume_id"] for volume in volumes],
                confirmation=form.cleaned_data["confirmation"],
                actor=Actor.from_request(request, audience=ActorAudience.HELPDESK),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if disk_request.status == DiskRequest.Status.PENDING_APPROVAL:
                messages.success(
                    request,
                    _("Deletion #%(pk)s waits for a second helpdesk member to approve it.")
                    % {"pk": disk_request.pk},
                )
            return redirect("disks:helpdesk-request-detail", pk=disk_request.pk)
    context = {
        "desktop": desktop,
        "volumes": volumes,
        "unknown": unknown,
        "recent": [volume for volume in volumes if volume["recent"]],
        "form": form,
        "in_flight": selectors.disk_request_in_flight_for_desktop(desktop_id=desktop_id),
        "requires_approval": settings.DELETE_REQUIRES_APPROVAL,
        "min_age_hours": settings.DELETE_MIN_AGE_HOURS,
    }
    return render(request, "disks/volumes/delete.html", context)
