"""Signal receivers: Django's own events that belong in the audit history.

Connected in DisksConfig.ready(). Each receiver only hands over to a service.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from disks.access import client_ip
from disks.actor import Actor
from disks.models import AuditEvent
from disks.services.audit import audit_event_record

_LOCK_WINDOW_KEY = "audit:locked-out:{username}:{address}"
_UNRECORDED_KEY = "audit:locked-out:unrecorded:{username}:{address}"


def _lock_keys(request, username: str) -> tuple[str, str]:
    address = (client_ip(request) if request is not None else None) or "-"
    parts = {"username": username[:150], "address": address}
    return _LOCK_WINDOW_KEY.format(**parts), _UNRECORDED_KEY.format(**parts)


def login_failed_record(sender, credentials: dict, request=None, **kwargs) -> None:
    """Record a failed sign-in: the username tried, from where, never the password.

    Django has already masked the credentials' secret-looking values; only the username
    field is read all the same, so that nothing else the form sent can end up here. While
    the username is locked out at that address, attempts are only counted (see below).
    """
    username = str(credentials.get(get_user_model().USERNAME_FIELD, ""))
    if failed_sign_in_only_counted(request, username):
        return
    audit_event_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        outcome=AuditEvent.Outcome.FAILURE,
        actor=Actor.anonymous(request, username=username),
    )


def failed_sign_in_only_counted(request, username: str) -> bool:
    """While `username` is locked out at this address, count a failed attempt instead of
    recording it (see locked_out_record); True when it was only counted.

    The attempt that caused the lock-out is still recorded (axes signals the lock-out
    before Django signals the failure). Directory sign-in's receiver asks this too.
    """
    window, unrecorded = _lock_keys(request, username)
    locked_by_this_attempt = getattr(request, "_audit_locked_out_now", False)
    if cache.get(window) is not None and not locked_by_this_attempt:
        _count(unrecorded)
        return True
    return False


def locked_out_record(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Record a lock-out by django-axes once per lock window: which username, from where.

    Every attempt on a locked username fires this again; recording each would let an
    anonymous visitor grow the history without bound. So the first one of a window is
    recorded, the rest are counted, and the next recorded lock-out of that username at
    that address says how many attempts came while it was locked before.
    """
    username = str(username or "")
    window, unrecorded = _lock_keys(request, username)
    if not cache.add(window, True, timeout=_lock_seconds()):
        _count(unrecorded)
        return
    if request is not None:
        # The attempt that caused the lock-out is still recorded as a failure (axes
        # signals the lock-out before Django signals the failure).
        request._audit_locked_out_now = True
    details = {"ip_address": ip_address or ""}
    if earlier := cache.get(unrecorded):
        details["attempts_while_locked_before"] = earlier
        cache.delete(unrecorded)
    audit_event_record(
        action=AuditEvent.Action.LOCKED_OUT,
        outcome=AuditEvent.Outcome.FAILURE,
        actor=Actor.anonymous(request, username=username),
        details=details,
    )


def preferences_to_session(sender, request=None, user=None, **kwargs) -> None:
    """At sign-in, carry the person's stored language and time zone into their session."""
    from disks.services.preferences import SESSION_KEY, user_preferences_load

    if request is not None and user is not None:
        request.session[SESSION_KEY] = user_preferences_load(user).as_session()


def _lock_seconds() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds()))


def _count(key: str) -> None:
    # Kept a week: long enough for the next lock-out to report it, short enough to expire.
    if not cache.add(key, 1, timeout=7 * 24 * 3600):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=7 * 24 * 3600)
