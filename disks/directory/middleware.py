"""Roles follow the directory between sign-ins, not only at the next one.

For a session signed in through LDAP, the user's entry and groups are read again (with the
service account) once DIRECTORY_RECHECK_MINUTES have passed since the last read:
- groups changed: the audience groups change, from this request on;
- the entry is gone or disabled: the session ends;
- the directory does not answer: the roles stay as they were, the outage is recorded, and
  the check is tried again after a minute (a directory blip must not lock everyone out).

Installed after AuthenticationMiddleware and before LoginRequiredMiddleware's view check.
"""

import time

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, logout

from disks.directory.audit import LDAP, directory_audit_record
from disks.directory.backends import DirectoryLDAPBackend, DirectoryUnavailable
from disks.directory.roles import roles_sync
from disks.directory.signals import LDAP_BACKEND
from disks.models import AuditEvent

CHECKED_AT = "directory_checked_at"
RETRY_SECONDS = 60


class DirectoryRecheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(BACKEND_SESSION_KEY) == LDAP_BACKEND:
            directory_recheck_if_due(request)
        return self.get_response(request)


def directory_recheck_if_due(request) -> None:
    """Re-read the signed-in LDAP user's roles when the last read is older than the period."""
    now, period = time.time(), settings.DIRECTORY_RECHECK_MINUTES * 60
    checked_at = request.session.get(CHECKED_AT)
    if checked_at is None:  # the first request after signing in, which read the groups
        request.session[CHECKED_AT] = now
        return
    if now - checked_at < period or not request.user.is_authenticated:
        return
    user = request.user
    try:
        roles = DirectoryLDAPBackend().directory_recheck(user, request)
    except DirectoryUnavailable as error:
        request.session[CHECKED_AT] = now - period + RETRY_SECONDS
        directory_audit_record(
            action=AuditEvent.Action.DIRECTORY_UNAVAILABLE,
            method=LDAP,
            outcome=AuditEvent.Outcome.FAILURE,
            user=user,
            request=request,
            details={"error": str(error), "during": "role recheck"},
        )
        return
    if roles is None:
        logout(request)
        directory_audit_record(
            action=AuditEvent.Action.DIRECTORY_SIGNED_OUT,
            method=LDAP,
            outcome=AuditEvent.Outcome.INFO,
            user=user,
            request=request,
            details={"reason": "not found in the directory (removed or disabled)"},
        )
        return
    request.session[CHECKED_AT] = now
    roles_sync(user=user, roles=roles, method=LDAP, request=request)
