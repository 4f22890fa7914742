"""Reads for end users: only their own desktops and their own requests.

Anything else is a 404 (not a 403): the portal does not confirm that another user's
desktop or request exists.
"""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from disks.models import Desktop, DiskRequest


def desktop_list_for_user(*, user, search: str = "", status: str = "") -> QuerySet[Desktop]:
    """Desktops whose owner or attached users include this username (ignoring case).

    `search` (name or exact id) and `status` narrow them, for the API.
    """
    desktops = Desktop.objects.filter(users__user_name=user.get_username().casefold())
    if search:
        desktops = desktops.filter(
            Q(computer_name__icontains=search) | Q(desktop_id__iexact=search)
        )
    if status:
        desktops = desktops.filter(status=status)
    return desktops.distinct().order_by("computer_name")


def desktop_get_for_user(*, user, desktop_id: str) -> Desktop:
    return get_object_or_404(desktop_list_for_user(user=user), desktop_id=desktop_id)


def disk_request_list_for_user(*, user, status: str = "") -> QuerySet[DiskRequest]:
    requests = DiskRequest.objects.filter(requested_by=user)
    return requests.filter(status=status) if status else requests


def disk_request_get_for_user(*, user, pk: int) -> DiskRequest:
    return get_object_or_404(DiskRequest, pk=pk, requested_by=user)


def disk_request_in_flight_for_user_desktop(*, user, desktop_id: str) -> DiskRequest | None:
    """The running request on one of the user's desktops, if it is the user's own."""
    return DiskRequest.objects.filter(
        requested_by=user, desktop_id=desktop_id, status__in=DiskRequest.IN_FLIGHT_STATUSES
    ).first()
