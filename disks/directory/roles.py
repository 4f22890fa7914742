"""Audience groups (helpdesk, end_user, auditor) from a directory's groups or an SSO claim."""

from collections.abc import Callable, Iterable, Mapping

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest

from disks.access import AUDIENCES, END_USER, audiences_forget
from disks.directory.audit import directory_audit_record
from disks.models import AuditEvent


def roles_from_groups(
    member_of: Iterable[str],
    role_groups: Mapping[str, str],
    *,
    same: Callable[[str], str] = str.casefold,
) -> frozenset[str]:
    """Return the audiences whose group is among `member_of` (compared through `same`).

    An end-user group left unset means every directory user may use the portal.
    """
    mine = {same(group) for group in member_of}
    roles = {audience for audience, group in role_groups.items() if group and same(group) in mine}
    if not role_groups.get(END_USER):
        roles.add(END_USER)
    return frozenset(roles)


def roles_sync(
    *, user, roles: frozenset[str], method: str, request: HttpRequest | None = None
) -> bool:
    """Make the user's audience groups exactly `roles`; record and return whether they changed.

    Groups outside the three audiences (given by hand in the admin) are left alone.
    """
    current = set(user.groups.filter(name__in=AUDIENCES).values_list("name", flat=True))
    added, removed = set(roles) - current, current - set(roles)
    if not (added or removed):
        return False
    with transaction.atomic():
        for name in added:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        user.groups.remove(*Group.objects.filter(name__in=removed))
        directory_audit_record(
            action=AuditEvent.Action.ROLE_CHANGED,
            method=method,
            outcome=AuditEvent.Outcome.INFO,
            user=user,
            request=request,
            details={"added": sorted(added), "removed": sorted(removed), "roles": sorted(roles)},
        )
    audiences_forget(user)  # disks.access remembers them on the user for the request
    return True
