"""Who may use which part of the dashboard: one group per audience (DESIGN.md).

Helpdesk staff, end users and auditors each have their own views; a view checks its
audience with `audience_required`. Superusers count as helpdesk and auditor (not as end
users: the portal is about one's own desktops).
"""

from functools import wraps

from django.shortcuts import render

HELPDESK = "helpdesk"
END_USER = "end_user"
AUDITOR = "auditor"
AUDIENCES = (HELPDESK, END_USER, AUDITOR)


def user_audiences(user) -> frozenset[str]:
    """Return the audiences the user belongs to (cached on the user for the request)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_audiences", None)
    if cached is None:
        groups = set(user.groups.filter(name__in=AUDIENCES).values_list("name", flat=True))
        if user.is_superuser:
            groups |= {HELPDESK, AUDITOR}
        cached = user._audiences = frozenset(groups)
    return cached


def audience_required(audience: str):
    """Let the view run only for members of `audience`; others get a polite 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if audience not in user_audiences(request.user):
                return render(request, "disks/forbidden.html", {"needed": audience}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def audiences(request) -> dict:
    """Context processor: which audiences the signed-in user has, for the navigation."""
    return {"audiences": user_audiences(request.user)}


def client_ip(request) -> str | None:
    """The client's address: the peer's, or X-Forwarded-For's behind TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received from; the client's is the one
    TRUSTED_PROXY_COUNT entries from the right. Entries further left are whatever the client
    sent and are not trusted. Used by django-axes and by the audit history alike.
    """
    from django.conf import settings

    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
