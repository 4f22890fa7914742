"""Email to the people who asked: when their request is decided or finished."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from disks.models import DiskRequest

logger = logging.getLogger(__name__)

_DETAIL_URL: dict[str, str] = {
    DiskRequest.Audience.PORTAL: "disks:portal-request-detail",
    DiskRequest.Audience.HELPDESK: "disks:helpdesk-request-detail",
}

# Subjects per kind of request and event; the add subjects are the ones every kind falls
# back to.
SUBJECTS = {
    "approved": "Approved: your disk request #{pk}",
    "rejected": "Rejected: your disk request #{pk}",
    "succeeded": "Done: the disks of request #{pk} were added",
    "failed": "Failed: the disks of request #{pk} could not be added",
    "needs_review": "Delayed: request #{pk} needs a helpdesk check",
}
KIND_SUBJECTS = {
    DiskRequest.Kind.EXPAND: {
        "approved": "Approved: your disk expansion #{pk}",
        "rejected": "Rejected: your disk expansion #{pk}",
        "succeeded": "Done: the disks of request #{pk} were expanded",
        "failed": "Failed: the disks of request #{pk} could not be expanded",
    },
    DiskRequest.Kind.DELETE: {
        "approved": "Approved: your disk deletion #{pk}",
        "rejected": "Rejected: your disk deletion #{pk}",
        "succeeded": "Done: the disks of request #{pk} were deleted",
        "failed": "Failed: the disks of request #{pk} could not be deleted",
    },
}


def subject_of(disk_request: DiskRequest, event: str) -> str:
    subjects = {**SUBJECTS, **KIND_SUBJECTS.get(DiskRequest.Kind(disk_request.kind), {})}
    return subjects[event].format(pk=disk_request.pk)


def requester_notify_on_commit(disk_request: DiskRequest, event: str) -> None:
    """Email the requester about `event`, once the caller commits.

    Portal requesters are told; so is a helpdesk member whose request waited for another
    member's approval (a deletion): they are no longer watching it. Other helpdesk requests
    send nothing: their requester is the one watching. A requester with no email address is
    skipped (and logged); a mail server that fails is logged, never raised: the request's
    own state is what matters.
    """
    if event not in SUBJECTS or not _tells_requester(disk_request):
        return
    transaction.on_commit(lambda: _send(disk_request.pk, event))


def _tells_requester(disk_request: DiskRequest) -> bool:
    if disk_request.audience == DiskRequest.Audience.PORTAL:
        return True
    return bool(disk_request.decided_by_username)


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
        + reverse(_DETAIL_URL[disk_request.audience], args=[disk_request.pk]),
    }
    try:
        send_mail(
            subject=subject_of(disk_request, event),
            message=render_to_string("disks/email/request_update.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except OSError as error:
        logger.warning(
            "could not email %s about request #%s: %s", user.email, disk_request_pk, error
        )
