"""Signal receivers: Django's own events that belong in the audit history.

Connected in DisksConfig.ready(). Each receiver only hands over to a service.
"""

from django.contrib.auth import get_user_model

from disks.actor import Actor
from disks.models import AuditEvent
from disks.services.audit import audit_event_record


def login_failed_record(sender, credentials: dict, request=None, **kwargs) -> None:
    """Record a failed sign-in: the username tried, from where, never the password.

    Django has already masked the credentials' secret-looking values; only the username
    field is read all the same, so that nothing else the form sent can end up here.
    """
    username = str(credentials.get(get_user_model().USERNAME_FIELD, ""))
    audit_event_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        outcome=AuditEvent.Outcome.FAILURE,
        actor=Actor.anonymous(request, username=username),
    )


def locked_out_record(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Record a lock-out by django-axes: which username, from where."""
    audit_event_record(
        action=AuditEvent.Action.LOCKED_OUT,
        outcome=AuditEvent.Outcome.FAILURE,
        actor=Actor.anonymous(request, username=str(username or "")),
        details={"ip_address": ip_address or ""},
    )
