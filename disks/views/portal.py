"""End users (group `end_user`): the self-service portal for their own desktops.

A user sees only desktops whose owner or attached users match their username (ignoring
case) and only their own requests; anything else is a 404, whatever id is typed. Requests
follow the portal policy (disks.policy); large ones wait for helpdesk approval.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods

from disks import selectors
from disks.access import END_USER, audience_required
from disks.actor import Actor, ActorAudience
from disks.models import DiskRequest
from disks.policy import PortalPolicy
from disks.services.approvals import disk_request_hold_for_approval
from disks.services.inventory import DiskTypeOffer, disk_types_offered
from disks.services.requests import disk_request_submit
from disks.views.disk_form import DiskFormPage, disk_form_view
from disks.views.request_status import status_context, status_fragment

RECENT_REQUESTS = 20


@require_GET
@audience_required(END_USER)
def home(request: HttpRequest) -> HttpResponse:
    """My desktops with their disks, and my recent requests."""
    context = {
        "desktops": selectors.desktop_list_for_user(user=request.user),
        "disk_requests": selectors.disk_request_list_for_user(user=request.user)[:RECENT_REQUESTS],
        "policy": PortalPolicy.from_settings(),
    }
    return render(request, "disks/portal/home.html", context)


@require_http_methods(["GET", "POST"])
@audience_required(END_USER)
def disk_add(request: HttpRequest, desktop_id: str) -> HttpResponse:
    desktop = selectors.desktop_get_for_user(user=request.user, desktop_id=desktop_id)
    policy = PortalPolicy.from_settings()
    offer = disk_types_offered()
    page = DiskFormPage(
        template="disks/portal/disk_add.html",
        desktop=desktop,
        offer=DiskTypeOffer(types=policy.offered(offer.types), note=offer.note),
        request_url_name="disks:portal-request-detail",
        cancel_url=reverse("disks:portal-home"),
        extra_context={
            # Read only if the form is shown again: a successful submit redirects.
            "in_flight": SimpleLazyObject(
                lambda: selectors.disk_request_in_flight_for_user_desktop(
                    user=request.user, desktop_id=desktop_id
                )
            ),
            "policy_note": policy.describe(),
        },
        max_disks_per_request=policy.max_disks_per_request,
        max_size_gb=policy.max_disk_gb,
    )

    def submit(form, formset) -> DiskRequest:
        volumes = formset.volume_specs()
        problems = policy.problems(volumes)
        if problems:
            raise ValidationError(problems)
        arguments = {
            "desktop_id": desktop.desktop_id,
            "volumes": volumes,
            "actor": Actor.from_request(request, audience=ActorAudience.PORTAL),
            "idempotency_key": form.cleaned_data["idempotency_key"],
            # None: the service always uses the desktop's own enterprise project here.
            "enterprise_project_id": None,
        }
        if policy.needs_approval(volumes):
            return disk_request_hold_for_approval(**arguments)
        return disk_request_submit(**arguments)

    return disk_form_view(request, page, submit)


@require_GET
@audience_required(END_USER)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    disk_request = selectors.disk_request_get_for_user(user=request.user, pk=pk)
    context = status_context(disk_request, "disks:portal-request-status")
    return render(request, "disks/portal/request_detail.html", context)


@require_GET
@audience_required(END_USER)
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status fragment of one of the user's own requests."""
    disk_request = selectors.disk_request_get_for_user(user=request.user, pk=pk)
    return status_fragment(request, disk_request, "disks:portal-request-status")
