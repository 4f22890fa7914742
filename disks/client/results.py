"""Typed request and result values: what goes into the client and what comes out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from .timestamps import parse_api_time

TERMINAL_JOB_STATUSES = frozenset({"SUCCESS", "COMPLETE", "FAIL", "FAILED"})
FAILED_JOB_STATUSES = frozenset({"FAIL", "FAILED"})


@dataclass(frozen=True)
class VolumeSpec:
    """One data disk to add; only the fields that are set are sent."""

    type: str
    size: int
    iops: int | None = None
    throughput: int | None = None
    kms_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the API's Volume object (field order as the official SDK sends it)."""
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class VolumeExpansion:
    """One disk to grow in an ExpandVolumes batch; `new_size` is the size after, in GB."""

    desktop_id: str
    volume_id: str
    new_size: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Volume:
    """One disk of a desktop.

    `volume_id` is the EVS disk id that expand and delete take; `id` is Workspace's own
    short (32-hex) record id. The fields stay JSON-friendly because the inventory stores
    them as they are (`dataclasses.asdict`); `created_at` is therefore a property.
    """

    id: str
    volume_id: str
    type: str
    size: int
    device: str
    display_name: str
    create_time: str
    iops: int | None = None
    throughput: int | None = None

    @property
    def created_at(self) -> datetime | None:
        """`create_time` as an aware datetime, or None when the API gave none or a bad one."""
        return parse_api_time(self.create_time)


@dataclass(frozen=True)
class AttachedUser:
    user_id: str
    user_name: str
    user_group: str
    type: str


@dataclass(frozen=True)
class DesktopDetail:
    desktop_id: str
    computer_name: str
    status: str
    task_status: str
    user_name: str
    attach_users: tuple[AttachedUser, ...]
    enterprise_project_id: str
    root_volume: Volume | None
    data_volumes: tuple[Volume, ...]
    created: str
    availability_zone: str
    process: int | None

    @property
    def user_names(self) -> tuple[str, ...]:
        """Return the owner and the attached users (not groups), de-duplicated ignoring case."""
        names = [self.user_name]
        names += [user.user_name for user in self.attach_users if user.type.upper() != "GROUP"]
        seen: dict[str, str] = {}
        for name in names:
            if name:
                seen.setdefault(name.casefold(), name)
        return tuple(seen.values())


@dataclass(frozen=True)
class DesktopPage:
    desktops: tuple[DesktopDetail, ...]
    total_count: int


@dataclass(frozen=True)
class VolumeJobResult:
    """The answer to a disk operation (add, expand, delete): the job to follow.

    The CBC hints (`get_job_endpoint` and the minutes) come only from older API versions
    and from AddDesktopVolumes; they are None otherwise.
    """

    job_id: str
    get_job_endpoint: str | None
    max_provision_minutes: int | None
    min_provision_minutes: int | None
    periodic_query_minutes: int | None
    request_id: str | None


# The name the add operations have used since before expand and delete existed.
AddVolumesResult = VolumeJobResult


@dataclass(frozen=True)
class Quota:
    """One ShowQuotas resource: the limit (`quota`, -1 for none) and what is `used`."""

    type: str
    quota: int
    used: int
    unit: str

    @property
    def unlimited(self) -> bool:
        return self.quota < 0

    @property
    def remaining(self) -> int | None:
        """How much more fits (never below 0), or None when there is no limit."""
        return None if self.unlimited else max(0, self.quota - self.used)

    def allows(self, amount: int) -> bool:
        """Whether `amount` more fits within the limit."""
        return self.remaining is None or amount <= self.remaining


@dataclass(frozen=True)
class Quotas:
    """The tenant's disk quotas: how many disks (`volumes`) and how many GB (`gigabytes`).

    The cloud counts system disks as well as data disks in both. A resource the API did not
    list is None and limits nothing.
    """

    volumes: Quota | None
    gigabytes: Quota | None
    request_id: str | None

    def room_for(self, disks: int, gigabytes: int) -> bool:
        """Whether `disks` more disks holding `gigabytes` GB in all fit both quotas.

        An expand adds GB and no disk: `room_for(0, new_size - size)`.
        """
        return all(
            quota is None or quota.allows(amount)
            for quota, amount in ((self.volumes, disks), (self.gigabytes, gigabytes))
        )


@dataclass(frozen=True)
class SubJob:
    id: str
    job_id: str
    job_type: str
    status: str
    process: int | None
    error_code: str
    fail_reason: str
    desktop_id: str
    begin_time: str
    end_time: str


@dataclass(frozen=True)
class Job:
    id: str
    job_type: str
    status: str
    begin_time: str
    end_time: str
    job_error_code: str
    fail_reason: str
    sub_jobs: tuple[SubJob, ...]
    request_id: str | None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES

    @property
    def succeeded(self) -> bool:
        """Terminal, not FAIL/FAILED, and every sub-job SUCCESS (as Terraform judges it)."""
        if not self.is_terminal or self.status in FAILED_JOB_STATUSES:
            return False
        return all(sub_job.status == "SUCCESS" for sub_job in self.sub_jobs)

    @property
    def failed(self) -> bool:
        return self.is_terminal and not self.succeeded

    @property
    def progress(self) -> int | None:
        """Return the mean sub-job progress in percent, or None when no sub-job reports one."""
        given = [sub_job.process for sub_job in self.sub_jobs if sub_job.process is not None]
        return round(sum(given) / len(given)) if given else None


@dataclass(frozen=True)
class SubJobPage:
    jobs: tuple[SubJob, ...]
    total_count: int


@dataclass(frozen=True)
class VolumeProduct:
    resource_spec_code: str
    volume_type: str
    status: str
    name: str
    iops_min: int | None
    iops_max: int | None
    iops_range_by_size: float | None
    throughput_min: int | None
    throughput_max: int | None
    throughput_range_by_iops: float | None

    @property
    def needs_qos(self) -> bool:
        """True when the type takes provisioned IOPS/throughput (GPSSD2-style)."""
        return self.iops_min is not None or self.iops_max is not None

    @property
    def is_available(self) -> bool:
        return self.status == "normal"
