"""The request page's live status, shared by the helpdesk and the portal pages."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from disks.actor import Actor, Channel
from disks.client import get_client
from disks.models import DiskRequest
from disks.services.polling import disk_request_poll_if_due


def status_context(disk_request: DiskRequest, status_url_name: str) -> dict:
    return {
        "disk_request": disk_request,
        "status_url_name": status_url_name,
        "poll_seconds": settings.STATUS_FRAGMENT_POLL_SECONDS,
    }


def status_fragment(
    request: HttpRequest, disk_request: DiskRequest, status_url_name: str
) -> HttpResponse:
    """Render the status fragment (polled by htmx while the request runs) from the database.

    Only when the row is more than two poll periods stale (no worker running) does it ask
    the cloud itself, once per period at most, whoever is watching (docs/design.md).
    """
    if not disk_request.is_terminal:
        disk_request = disk_request_poll_if_due(
            actor=Actor.system(Channel.WEB),
            disk_request=disk_request,
            stale_only=True,
            client=get_client(interactive=True),
        )
    return render(
        request, "disks/_request_status.html", status_context(disk_request, status_url_name)
    )
