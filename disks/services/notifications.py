"""Email to the people who asked: when their portal request is decided or finished."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from disks.models import DiskRequest

logger = logging.getLogger(__name__)

SUBJECTS = {
    "approved": "Approved: your disk request #{pk}",
    "rejected": "Rejected: your disk request #{pk}",
    "succeeded": "Done: the disks of request #{pk} were added",
    "failed": "Failed: the disks of request #{pk} could not be added",
    "needs_review": "Delayed: request #{pk} needs a helpdesk check",
}


def requester_notify_on_commit(disk_request: DiskRequest, event: str) -> None:
    """Email the requester of a portal request about `event`, once the caller commits.

    Helpdesk requests send nothing: their requester is the one watching. A requester with
    no email address is skipped (and logged); a mail server that fails is logged, never
    raised: the request's own state is what matters.
    """
    if disk_request.audience != DiskRequest.Audience.PORTAL or event not in SUBJECTS:
        return
    transaction.on_commit(lambda: _send(disk_request.pk, event))


def _send(disk_request_pk: int, event: str) -> None:
    disk_request = DiskRequest.objects.select_related("requested_by").get(pk=disk_request_pk)
    user = disk_request.requested_by
    if user is None or not user.email:
        logger.info("request #%s: no email address to tell about %s", disk_request_pk, event)
        return
    context = {
        "disk_request": disk_request,
        "event": event,
        "user": user,
        "url": settings.DASHBOARD_URL.rstrip("/")
        + reverse("disks:portal-request-detail", args=[disk_request.pk]),
    }
    try:
        send_mail(
            subject=SUBJECTS[event].format(pk=disk_request.pk),
            message=render_to_string("disks/email/request_update.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except OSError as error:
        logger.warning(
            "could not email %s about request #%s: %s", user.email, disk_request_pk, error
        )
