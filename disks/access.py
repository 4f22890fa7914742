"""Who may use which part of the dashboard: one group per audience (docs/design.md).

Helpdesk staff, end users and auditors each have their own views; a view checks its
audience with `audience_required`. Superusers count as helpdesk and auditor (not as end
users: the portal is about one's own desktops).
"""

from functools import cache, wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections, router
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
        cached = user._audiences = audiences_with_superuser(user, _audience_groups_of(user))
    return cached


def audiences_forget(user) -> None:
    """Drop the audiences remembered on `user` (its groups just changed).

    Through attribute access, not `__dict__`, so that it reaches the user behind
    request.user's lazy wrapper as well.
    """
    if hasattr(user, "_audiences"):
        del user._audiences


def audiences_with_superuser(user, groups: set[str]) -> frozenset[str]:
    """The audiences of a user in these audience groups: superusers are helpdesk and auditor."""
    if user.is_superuser:
        groups = groups | {HELPDESK, AUDITOR}
    return frozenset(groups)


def _audience_groups_of(user) -> set[str]:
    """The names of the audience groups the user is in: one small query.

    Every page and every htmx poll asks this, so its SQL is written once per process
    rather than compiled by the ORM on each call, which cost more than the query itself:
    user.groups.filter(...) took 0.7 ms more per request (docs/benchmarks.md, figure 1).
    """
    membership_model = get_user_model().groups.through
    database = router.db_for_read(membership_model)
    with connections[database].cursor() as cursor:
        cursor.execute(_audience_groups_sql(membership_model, database), [user.pk, *AUDIENCES])
        return {name for (name,) in cursor.fetchall()}


@cache
def _audience_groups_sql(membership_model, database: str) -> str:
    """SELECT the audience group names of one user; names from the models, values as params."""
    quote = connections[database].ops.quote_name
    memberships, groups = membership_model._meta, Group._meta
    in_audiences = ", ".join(["%s"] * len(AUDIENCES))
    return (
        f"SELECT g.{quote('name')} FROM {quote(memberships.db_table)} m"  # noqa: S608
        f" JOIN {quote(groups.db_table)} g"
        f" ON g.{quote(groups.pk.column or '')} = m.{quote(memberships.get_field('group').column or '')}"
        f" WHERE m.{quote(memberships.get_field('user').column or '')} = %s"
        f" AND g.{quote('name')} IN ({in_audiences})"
    )


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
