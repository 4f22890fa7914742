"""Tenant disk quotas (ShowQuotas, docs/workspace-api.md §6.2 and §13): limits, use, refusals.

The SDK describes `volumes` as the disk count and `volume_gigabytes` as the disk capacity,
with no word of data disks only; a desktop's system disk is an EVS disk like the others, so
both count here. Disks a job is still adding or growing count as used from the moment the
job is accepted (the cloud reserves quota when it takes the order); a job that fails gives
its share back, a delete frees its disks only once it has succeeded.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from workspace_sim import errors, jobs
from workspace_sim.errors import ApiError
from workspace_sim.jobs import Job

VOLUMES = "volumes"
VOLUME_GIGABYTES = "volume_gigabytes"
# The cloud's convention for a resource without a limit.
UNLIMITED = -1
UNITS = {VOLUMES: "count", VOLUME_GIGABYTES: "GB"}


@dataclass(frozen=True)
class Usage:
    volumes: int
    gigabytes: int

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.volumes + other.volumes, self.gigabytes + other.gigabytes)


@dataclass(frozen=True)
class Limits:
    volumes: int
    gigabytes: int

    def to_record(self) -> dict:
        return {VOLUMES: self.volumes, VOLUME_GIGABYTES: self.gigabytes}

    @classmethod
    def from_record(cls, record: dict) -> "Limits":
        return cls(record[VOLUMES], record[VOLUME_GIGABYTES])


def usage(desktops: Iterable[dict], running: Iterable[Job]) -> Usage:
    """Disks on the desktops (system and data) plus what running jobs have reserved."""
    total = Usage(0, 0)
    sizes_by_volume: dict[str, int] = {}
    for desktop in desktops:
        for volume in _all_volumes(desktop):
            total += Usage(1, volume.get("size") or 0)
            sizes_by_volume[volume.get("volume_id", "")] = volume.get("size") or 0
    for job in running:
        for sub in job.sub_jobs:
            if not sub.settled:
                total += _reserved(job.job_type, sub.volumes, sizes_by_volume)
    return total


def _all_volumes(desktop: dict) -> list[dict]:
    root = desktop.get("root_volume")
    return ([root] if root else []) + list(desktop.get("data_volumes") or [])


def _reserved(job_type: str, changes: list[dict], sizes_by_volume: dict[str, int]) -> Usage:
    if job_type == jobs.JOB_TYPE_ADD_VOLUMES:
        return Usage(len(changes), sum(spec["size"] for spec in changes))
    if job_type == jobs.JOB_TYPE_EXPAND_VOLUMES:
        growth = (
            change["new_size"] - sizes_by_volume.get(change["volume_id"], change["new_size"])
            for change in changes
        )
        return Usage(0, sum(max(0, grown) for grown in growth))
    return Usage(0, 0)


def check_room(limits: Limits, used: Usage, wanted: Usage) -> None:
    """Refuse the whole request (403) when `wanted` more would pass either limit."""
    for name, limit, now, more in (
        (VOLUMES, limits.volumes, used.volumes, wanted.volumes),
        (VOLUME_GIGABYTES, limits.gigabytes, used.gigabytes, wanted.gigabytes),
    ):
        if more and limit != UNLIMITED and now + more > limit:
            raise ApiError(
                403,
                errors.QUOTA_EXCEEDED,
                f"Insufficient {name} quota: {more} more requested, {now} of {limit} used.",
            )


def show_body(limits: Limits, used: Usage) -> dict:
    """The ShowQuotas body: the disk resources of the one (central) site."""
    resources = [
        _resource(VOLUMES, limits.volumes, used.volumes),
        _resource(VOLUME_GIGABYTES, limits.gigabytes, used.gigabytes),
    ]
    # site_quotas lists edge sites only; the simulator has none.
    return {"quotas": {"resources": resources}, "site_quotas": []}


def _resource(name: str, quota: int, used: int) -> dict:
    return {"type": name, "quota": quota, "used": used, "unit": UNITS[name]}
