"""Reads for expand and delete: one data disk of a desktop, and the disks chosen for deletion."""

from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disks.client.timestamps import parse_api_time
from disks.models import Desktop


def data_volume_get(*, desktop: Desktop, volume_id: str) -> dict:
    """The desktop's data disk with this EVS id, as last read; 404 for anything else
    (the system disk included: it is never expanded or deleted here)."""
    for volume in desktop.data_volumes:
        if volume.get("volume_id") == volume_id:
            return volume
    raise Http404(_("No such data disk on this desktop."))


def data_volumes_other_than(*, desktop: Desktop, volume_id: str) -> list[dict]:
    return [v for v in desktop.sorted_data_volumes if v.get("volume_id") != volume_id]


def volumes_for_deletion(
    *, desktop: Desktop, volume_ids: list[str], now: datetime | None = None
) -> tuple[list[dict], list[str]]:
    """The chosen data disks, each with `recent` (added less than DELETE_MIN_AGE_HOURS ago)
    and `created_at`; and the chosen ids that are not data disks of the desktop."""
    now = now or timezone.now()
    young = now - timedelta(hours=settings.DELETE_MIN_AGE_HOURS)
    by_id = {volume.get("volume_id"): volume for volume in desktop.sorted_data_volumes}
    chosen = list(dict.fromkeys(volume_ids))
    found = []
    for volume in desktop.sorted_data_volumes:
        if volume.get("volume_id") in chosen:
            created_at = parse_api_time(volume.get("create_time"))
            recent = created_at is not None and created_at > young
            found.append({**volume, "created_at": created_at, "recent": recent})
    unknown = [volume_id for volume_id in chosen if volume_id not in by_id]
    return found, unknown
