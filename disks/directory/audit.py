"""The one function through which directory sign-in writes audit events.

Every event carries the sign-in method (local, ldap, oidc) in its details, and never a
password or token: callers pass names, group DNs, role names and error class names only.
"""

from django.http import HttpRequest

from disks.actor import Actor
from disks.models import AuditEvent
from disks.services.audit import audit_event_record

LOCAL, LDAP, OIDC = "local", "ldap", "oidc"


def directory_audit_record(
    *,
    action: str,
    method: str,
    outcome: str,
    user=None,
    username: str = "",
    request: HttpRequest | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Record a sign-in event (method local, ldap or oidc) for `user` or a bare `username`."""
    return audit_event_record(
        action=action,
        outcome=outcome,
        actor=Actor.at_sign_in(request, user=user, username=username),
        details={"method": method, **(details or {})},
    )


def sign_in_record(*, user, method: str, request: HttpRequest | None) -> AuditEvent:
    """Record a sign-in whose credentials (password, or the provider's answer) were verified."""
    return directory_audit_record(
        action=AuditEvent.Action.LOGIN_SUCCEEDED,
        method=method,
        outcome=AuditEvent.Outcome.SUCCESS,
        user=user,
        request=request,
    )
