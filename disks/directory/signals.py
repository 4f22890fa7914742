"""Signal receivers: failed sign-ins and directory errors, handed to the audit.

Successful sign-ins are recorded where credentials are verified (the backends, the SSO
adapter): Django's user_logged_in also fires for sessions opened by code for a known user.

Connected in DirectoryConfig.ready().
"""

from django.conf import settings
from django.contrib.auth import get_user_model

from disks.directory.audit import LDAP, LOCAL, directory_audit_record
from disks.directory.backends import UNAVAILABLE_ATTR, local_login_allowed, note_unavailable
from disks.directory.usernames import username_normalise
from disks.models import AuditEvent
from disks.signals import failed_sign_in_only_counted

LDAP_BACKEND = "disks.directory.backends.DirectoryLDAPBackend"


def login_failed_record(sender, credentials: dict, request=None, **kwargs) -> None:
    """Record a failed sign-in: the name tried, the method, never the password.

    Only the username field is read, so nothing else the form sent can end up here. When
    the directory did not answer, that is recorded too (auth.directory_unavailable).
    """
    username = str(credentials.get(get_user_model().USERNAME_FIELD, ""))
    if failed_sign_in_only_counted(request, username):
        return
    unavailable = getattr(request, UNAVAILABLE_ATTR, None)
    method = _failed_method(username)
    directory_audit_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        method=method,
        outcome=AuditEvent.Outcome.FAILURE,
        username=username,
        request=request,
        details={"reason": "directory_unavailable"} if unavailable else {},
    )
    if unavailable:
        directory_audit_record(
            action=AuditEvent.Action.DIRECTORY_UNAVAILABLE,
            method=LDAP,
            outcome=AuditEvent.Outcome.FAILURE,
            username=username,
            request=request,
            details={"error": unavailable, "during": "sign-in"},
        )


def _failed_method(username: str) -> str:
    if not settings.AUTH_LDAP_SERVER_URI:
        return LOCAL
    local = get_user_model().objects.filter(username=username).first()
    if local is None:
        local = get_user_model().objects.filter(username=username_normalise(username)).first()
    if local is not None and local.has_usable_password() and local_login_allowed(local):
        return LOCAL
    return LDAP


def ldap_error_noted(sender, context, user, request, exception, **kwargs) -> None:
    """django-auth-ldap swallows LDAP errors; note them so the caller can tell the user."""
    note_unavailable(request, exception)
