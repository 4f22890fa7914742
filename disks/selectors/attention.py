"""Reads for what needs a person's attention: the helpdesk overview, the navigation's
pending-approval count, and the portal's "a request is under way" per desktop."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from disks import rules
from disks.models import Desktop, DiskRequest
from disks.selectors.portal import disk_request_list_for_user

# A desktop this close to the 10-disk limit is worth a look before someone asks for more.
NEAR_LIMIT_DISKS = rules.MAX_DATA_DISKS_PER_DESKTOP - 2
ATTENTION_ROWS = 8
RECENT_FAILURES = timedelta(days=7)
UNDER_WAY = (
    DiskRequest.Status.PENDING_APPROVAL,
    DiskRequest.Status.SUBMITTING,
    DiskRequest.Status.RUNNING,
)


@dataclass(frozen=True)
class Attention:
    """What the helpdesk should look at first, most urgent first; each list is capped."""

    needs_review: list[DiskRequest]
    needs_review_count: int
    pending_approval: list[DiskRequest]
    pending_approval_count: int
    running: list[DiskRequest]
    running_count: int
    failed_recently: list[DiskRequest]
    failed_recently_count: int
    near_limit: list[Desktop]
    near_limit_count: int


def _capped(queryset: QuerySet) -> tuple[list, int]:
    rows = list(queryset[: ATTENTION_ROWS + 1])
    count = len(rows) if len(rows) <= ATTENTION_ROWS else queryset.count()
    return rows[:ATTENTION_ROWS], count


def helpdesk_attention() -> Attention:
    """Return the requests and desktops that need the helpdesk, for the overview page."""
    requests = DiskRequest.objects.all()
    review, review_count = _capped(
        requests.filter(status=DiskRequest.Status.NEEDS_REVIEW).order_by("created_at")
    )
    pending, pending_count = _capped(
        requests.filter(status=DiskRequest.Status.PENDING_APPROVAL).order_by("created_at")
    )
    running, running_count = _capped(
        requests.filter(
            status__in=(DiskRequest.Status.SUBMITTING, DiskRequest.Status.RUNNING)
        ).order_by("created_at")
    )
    failed, failed_count = _capped(
        requests.filter(
            status=DiskRequest.Status.FAILED,
            created_at__gte=timezone.now() - RECENT_FAILURES,
        ).order_by("-created_at")
    )
    near, near_count = _capped(
        Desktop.objects.filter(data_volume_count__gte=NEAR_LIMIT_DISKS).order_by(
            "-data_volume_count", "computer_name"
        )
    )
    return Attention(
        review, review_count, pending, pending_count, running, running_count,
        failed, failed_count, near, near_count,
    )  # fmt: skip


def pending_approval_count() -> int:
    """How many portal requests wait for a helpdesk member."""
    return DiskRequest.objects.filter(status=DiskRequest.Status.PENDING_APPROVAL).count()


def disk_requests_under_way_for_user(*, user) -> dict[str, DiskRequest]:
    """The user's requests waiting or running, by desktop id (at most one each in practice)."""
    under_way = disk_request_list_for_user(user=user).filter(status__in=UNDER_WAY)
    return {disk_request.desktop_id: disk_request for disk_request in under_way}
