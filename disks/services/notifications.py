"""Email to the people who asked: when their request is decided or finished."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from disks.models import DiskRequest, UserPreference

logger = logging.getLogger(__name__)

_DETAIL_URL: dict[str, str] = {
    DiskRequest.Audience.PORTAL: "disks:portal-request-detail",
    DiskRequest.Audience.HELPDESK: "disks:helpdesk-request-detail",
}

# Subjects per kind of request and event; the add subjects are the ones every kind falls
# back to. Translated when sent, in the requester's language.
SUBJECTS = {
    "approved": _("Approved: your disk request #%(pk)s"),
    "rejected": _("Rejected: your disk request #%(pk)s"),
    "succeeded": _("Done: the disks of request #%(pk)s were added"),
    "failed": _("Failed: the disks of request #%(pk)s could not be added"),
    "needs_review": _("Delayed: request #%(pk)s needs a helpdesk check"),
}
KIND_SUBJECTS = {
    DiskRequest.Kind.EXPAND: {
        "approved": _("Approved: your disk expansion #%(pk)s"),
        "rejected": _("Rejected: your disk expansion #%(pk)s"),
        "succeeded": _("Done: the disks of request #%(pk)s were expanded"),
        "failed": _("Failed: the disks of request #%(pk)s could not be expanded"),
    },
    DiskRequest.Kind.DELETE: {
        "approved": _("Approved: your disk deletion #%(pk)s"),
        "rejected": _("Rejected: your disk deletion #%(pk)s"),
        "succeeded": _("Done: the disks of request #%(pk)s were deleted"),
        "failed": _("Failed: the disks of request #%(pk)s could not be deleted"),
    },
}


def subject_of(disk_request: DiskRequest, event: str) -> str:
    subjects = {**SUBJECTS, **KIND_SUBJECTS.get(DiskRequest.Kind(disk_request.kind), {})}
    return str(subjects[event]) % {"pk": disk_request.pk}


def _language_of(user) -> str:
    """The requester's chosen language, else the site's: an email has no browser to ask."""
    preference = UserPreference.objects.filter(user=user).first()
    return (preference.language if preference else "") or settings.LANGUAGE_CODE


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
    with translation.override(_language_of(user)):
        subject = subject_of(disk_request, event)
        message = render_to_string("disks/email/request_update.txt", context)
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[user.email])
    except OSError as error:
        logger.warning(
            "could not email %s about request #%s: %s", user.email, disk_request_pk, error
        )
