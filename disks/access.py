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
