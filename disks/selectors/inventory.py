"""Reads for the helpdesk: desktops and disk requests."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from disks.models import Desktop, DiskRequest


def desktop_list(*, search: str = "", status: str = "") -> QuerySet[Desktop]:
    """Return the inventory for the helpdesk, filtered by free text and status."""
    desktops = Desktop.objects.all()
    if search:
        desktops = desktops.filter(
            Q(computer_name__icontains=search)
            | Q(user_name__icontains=search)
            | Q(users__user_name__icontains=search.casefold())
            | Q(desktop_id__iexact=search)
        ).distinct()
    if status:
        desktops = desktops.filter(status=status)
    return desktops.only(
        "desktop_id",
        "computer_name",
        "status",
        "task_status",
        "user_name",
        "data_volume_count",
        "synced_at",
    )


def desktop_statuses() -> list[str]:
    return list(Desktop.objects.order_by("status").values_list("status", flat=True).distinct())


def desktop_get(*, desktop_id: str) -> Desktop:
    return get_object_or_404(Desktop, desktop_id=desktop_id)


def disk_request_list(
    *, status: str = "", desktop: str = "", requester: str = ""
) -> QuerySet[DiskRequest]:
    """Return every request (helpdesk view), newest first, filtered."""
    requests = DiskRequest.objects.all()
    if status:
        requests = requests.filter(status=status)
    if desktop:
        requests = requests.filter(
            Q(desktop_id__iexact=desktop) | Q(desktop_name__icontains=desktop)
        )
    if requester:
        requests = requests.filter(requested_by_username__icontains=requester)
    return requests


def disk_request_list_for_desktop(*, desktop_id: str) -> QuerySet[DiskRequest]:
    return DiskRequest.objects.filter(desktop_id=desktop_id)


def disk_request_in_flight_for_desktop(*, desktop_id: str) -> DiskRequest | None:
    return DiskRequest.objects.filter(
        desktop_id=desktop_id, status__in=DiskRequest.IN_FLIGHT_STATUSES
    ).first()


def disk_request_get(*, pk: int) -> DiskRequest:
    return get_object_or_404(DiskRequest, pk=pk)


def disk_request_pending_approval_list() -> QuerySet[DiskRequest]:
    """Portal requests waiting for a helpdesk decision, oldest first."""
    return DiskRequest.objects.filter(status=DiskRequest.Status.PENDING_APPROVAL).order_by(
        "created_at", "id"
    )
