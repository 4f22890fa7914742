"""An in-memory cloud with WorkspaceClient's interface, for fast service unit tests.

It answers from Python objects (no HTTP, no simulator process), records every call, and
lets a test finish or fail a job and make the next call of an operation fail. The real
simulator stays what integration and browser tests use (and what proves the client's wire
format); a test for a service's decisions needs only this. A contract test
(tests/services/test_fake_client.py) runs the same calls against both and compares.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from disks.client import (
    DesktopDetail,
    DesktopPage,
    Job,
    Quota,
    Quotas,
    SubJob,
    SubJobPage,
    Volume,
    VolumeExpansion,
    VolumeJobResult,
    VolumeProduct,
    VolumeSpec,
    WorkspaceError,
    WorkspaceRefused,
)

MAX_DATA_DISKS = 10


def _now() -> str:
    """The time now in the job API's form (UTC, no zone): the reconcile step compares a
    sub-job's begin time with when its request was saved, so it cannot be a fixed date."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Call:
    operation: str
    args: tuple
    kwargs: dict


@dataclass
class FakeWorkspace:
    """The fake cloud: desktops, jobs, products and quotas, and every call made to it."""

    desktops: dict[str, DesktopDetail] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    products: tuple[str, ...] = ("SAS", "SSD", "GPSSD")
    quotas: Quotas = field(
        default_factory=lambda: Quotas(
            volumes=Quota("volumes", 1000, 0, "count"),
            gigabytes=Quota("volume_gigabytes", 200000, 0, "GB"),
            request_id="fake",
        )
    )
    calls: list[Call] = field(default_factory=list)
    _failures: dict[str, deque[WorkspaceError]] = field(default_factory=lambda: defaultdict(deque))
    # What a job does to each desktop when it succeeds: job id -> [(desktop id, change)].
    _pending: dict[str, list[tuple[str, Callable[[DesktopDetail], DesktopDetail]]]] = field(
        default_factory=dict
    )
    _numbers: itertools.count = field(default_factory=itertools.count)

    # Setting the scene ----------------------------------------------------------------------

    def add_desktop(
        self,
        *,
        name: str = "",
        status: str = "ACTIVE",
        task_status: str = "",
        user_name: str = "sam",
        data_disks: int = 0,
        enterprise_project_id: str = "0",
    ) -> str:
        number = next(self._numbers)
        desktop_id = f"fake-desktop-{number}"
        self.desktops[desktop_id] = DesktopDetail(
            desktop_id=desktop_id,
            computer_name=name or f"FAKE-{number:04d}",
            status=status,
            task_status=task_status,
            user_name=user_name,
            attach_users=(),
            enterprise_project_id=enterprise_project_id,
            root_volume=self._volume("SAS", 80, 0),
            data_volumes=tuple(self._volume("SAS", 10, index + 1) for index in range(data_disks)),
            created=_now(),
            availability_zone="fake-az-1",
            process=None,
        )
        return desktop_id

    def fail_next(self, operation: str, error: WorkspaceError) -> None:
        """Make the next call of `operation` (the client's method name) raise `error`."""
        self._failures[operation].append(error)

    def finish_job(
        self,
        job_id: str,
        *,
        failed: bool = False,
        reason: str = "",
        failed_desktops: frozenset[str] = frozenset(),
    ) -> None:
        """End a job; a successful one changes its desktops' disks, as the cloud does (an add
        puts its disks on, an expand grows them, a delete removes them).

        `failed_desktops` fails only those desktops' sub-jobs (and so the job).
        """
        job = self.jobs[job_id]

        def fails(desktop_id: str) -> bool:
            return failed or desktop_id in failed_desktops

        sub_jobs = tuple(
            replace(
                sub,
                status="FAILED" if fails(sub.desktop_id) else "SUCCESS",
                process=100,
                fail_reason=reason if fails(sub.desktop_id) else "",
                end_time=_now(),
            )
            for sub in job.sub_jobs
        )
        status = "FAIL" if failed or failed_desktops else "SUCCESS"
        self.jobs[job_id] = replace(job, status=status, sub_jobs=sub_jobs, fail_reason=reason)
        for desktop_id, change in self._pending.pop(job_id):
            if not fails(desktop_id):
                self.desktops[desktop_id] = replace(
                    change(self.desktops[desktop_id]), task_status=""
                )

    def called(self, operation: str) -> list[Call]:
        return [call for call in self.calls if call.operation == operation]

    # The client's interface ----------------------------------------------------------------

    def show_desktop_detail(self, desktop_id: str) -> DesktopDetail:
        self._record("show_desktop_detail", desktop_id)
        if desktop_id not in self.desktops:
            raise WorkspaceRefused(
                "ShowDesktopDetail",
                status=404,
                error_code="WKS.0003",
                error_msg="The desktop does not exist.",
            )
        return self.desktops[desktop_id]

    def list_desktops_detail(self, *, offset: int = 0, limit: int = 100, **filters) -> DesktopPage:
        self._record("list_desktops_detail", offset=offset, limit=limit, **filters)
        every = list(self.desktops.values())
        if filters.get("desktop_ids"):
            wanted = set(filters["desktop_ids"])
            every = [desktop for desktop in every if desktop.desktop_id in wanted]
        return DesktopPage(desktops=tuple(every[offset : offset + limit]), total_count=len(every))

    def list_volume_product_info(self, **filters) -> tuple[VolumeProduct, ...]:
        self._record("list_volume_product_info", **filters)
        return tuple(
            VolumeProduct(name, name, "normal", name, None, None, None, None, None, None)
            for name in self.products
        )

    def show_quotas(self) -> Quotas:
        self._record("show_quotas")
        return self.quotas

    def add_desktop_volumes(
        self,
        desktop_id: str,
        volumes: Sequence[VolumeSpec],
        *,
        enterprise_project_id: str | None = None,
    ) -> VolumeJobResult:
        self._record(
            "add_desktop_volumes", desktop_id, volumes, enterprise_project_id=enterprise_project_id
        )
        desktop = self.show_desktop_detail(desktop_id)
        self.calls.pop()  # the check above is the fake's own, not a call the caller made
        if len(desktop.data_volumes) + len(volumes) > MAX_DATA_DISKS:
            raise WorkspaceRefused(
                "AddDesktopVolumes",
                status=400,
                error_code="WKS.0021",
                error_msg="Too many data disks.",
            )
        return self._start_job("addVolumes", desktop_id, self._adding(tuple(volumes)), hints=True)

    def add_volumes(self, desktop_volumes: Mapping[str, Sequence[VolumeSpec]]) -> VolumeJobResult:
        """All or nothing, as the cloud: one desktop that cannot take its disks refuses all."""
        self._record("add_volumes", dict(desktop_volumes))
        for desktop_id, volumes in desktop_volumes.items():
            desktop = self.desktops.get(desktop_id)
            if desktop is None or desktop.status != "ACTIVE" or desktop.task_status:
                raise WorkspaceRefused(
                    "AddVolumes", status=409, error_code="WKS.SIM0301", error_msg="Not ready."
                )
            if len(desktop.data_volumes) + len(volumes) > MAX_DATA_DISKS:
                raise WorkspaceRefused(
                    "AddVolumes", status=400, error_code="WKS.0021", error_msg="Too many disks."
                )
        items = [
            (desktop_id, self._adding(tuple(volumes)))
            for desktop_id, volumes in desktop_volumes.items()
        ]
        return self._start_job_of("addVolumes", items)

    def expand_desktop_volume(
        self, desktop_id: str, volume_id: str, new_size: int
    ) -> VolumeJobResult:
        self._record("expand_desktop_volume", desktop_id, volume_id, new_size)
        return self._expand(
            "ExpandDesktopVolume", [VolumeExpansion(desktop_id, volume_id, new_size)]
        )

    def expand_volumes(self, expansions: Sequence[VolumeExpansion]) -> VolumeJobResult:
        self._record("expand_volumes", tuple(expansions))
        return self._expand("ExpandVolumes", list(expansions))

    def delete_desktop_volumes(self, desktop_id: str, volume_ids: Sequence[str]) -> VolumeJobResult:
        self._record("delete_desktop_volumes", desktop_id, tuple(volume_ids))
        desktop = self._known_desktop("DeleteDesktopVolumes", desktop_id)
        gone = set(volume_ids)
        self._data_volumes("DeleteDesktopVolumes", desktop, gone)

        def delete(desktop: DesktopDetail) -> DesktopDetail:
            kept = tuple(v for v in desktop.data_volumes if v.volume_id not in gone)
            return replace(desktop, data_volumes=kept)

        return self._start_job("deleteVolumes", desktop_id, delete)

    def show_job(self, job_id: str) -> Job:
        self._record("show_job", job_id)
        if job_id not in self.jobs:
            raise WorkspaceRefused(
                "ShowJob", status=404, error_code="WKS.0404", error_msg="The job does not exist."
            )
        return self.jobs[job_id]

    def list_ita_sub_jobs(
        self, *, job_type: str | None = None, limit: int | None = 100, **filters
    ) -> SubJobPage:
        self._record("list_ita_sub_jobs", job_type=job_type, limit=limit, **filters)
        sub_jobs = tuple(
            sub
            for job in self.jobs.values()
            for sub in job.sub_jobs
            if not job_type or sub.job_type == job_type
        )[: limit or None]
        return SubJobPage(jobs=sub_jobs, total_count=len(sub_jobs))

    # Inside the fake -----------------------------------------------------------------------

    def _known_desktop(self, operation: str, desktop_id: str) -> DesktopDetail:
        if desktop_id not in self.desktops:
            raise WorkspaceRefused(
                operation, status=404, error_code="WKS.0003", error_msg="No such desktop."
            )
        return self.desktops[desktop_id]

    def _data_volumes(self, operation: str, desktop: DesktopDetail, ids: set[str]) -> dict:
        found = {v.volume_id: v for v in desktop.data_volumes if v.volume_id in ids}
        if len(found) != len(ids):
            raise WorkspaceRefused(
                operation, status=404, error_code="WKS.SIM0203", error_msg="No such data disk."
            )
        return found

    def _expand(self, operation: str, expansions: list[VolumeExpansion]) -> VolumeJobResult:
        desktop_ids = {item.desktop_id for item in expansions}
        if len(desktop_ids) != 1:
            raise NotImplementedError("the fake expands disks of one desktop per call")
        desktop_id = desktop_ids.pop()
        desktop = self._known_desktop(operation, desktop_id)
        sizes = {item.volume_id: item.new_size for item in expansions}
        found = self._data_volumes(operation, desktop, set(sizes))
        if any(sizes[volume_id] <= volume.size for volume_id, volume in found.items()):
            raise WorkspaceRefused(
                operation, status=400, error_code="WKS.SIM0109", error_msg="Disks only grow."
            )
        grown = sum(sizes[volume_id] - volume.size for volume_id, volume in found.items())
        if not self.quotas.room_for(0, grown):
            raise WorkspaceRefused(
                operation,
                status=403,
                error_code="WKS.SIM0501",
                error_msg="Insufficient volume_gigabytes quota.",
            )

        def expand(desktop: DesktopDetail) -> DesktopDetail:
            volumes = tuple(
                replace(v, size=sizes.get(v.volume_id, v.size)) for v in desktop.data_volumes
            )
            return replace(desktop, data_volumes=volumes)

        return self._start_job("expandVolumes", desktop_id, expand)

    def _record(self, operation: str, *args, **kwargs) -> None:
        self.calls.append(Call(operation, args, kwargs))
        if self._failures[operation]:
            raise self._failures[operation].popleft()

    def _adding(self, specs: tuple[VolumeSpec, ...]) -> Callable[[DesktopDetail], DesktopDetail]:
        """The change an add makes to a desktop once its job succeeds."""

        def add(desktop: DesktopDetail) -> DesktopDetail:
            start = len(desktop.data_volumes) + 1
            added = tuple(
                self._volume(spec.type, spec.size, start + index)
                for index, spec in enumerate(specs)
            )
            return replace(desktop, data_volumes=desktop.data_volumes + added)

        return add

    def _start_job(
        self,
        job_type: str,
        desktop_id: str,
        change: Callable[[DesktopDetail], DesktopDetail],
        *,
        hints: bool = False,
    ) -> VolumeJobResult:
        return self._start_job_of(job_type, [(desktop_id, change)], hints=hints)

    def _start_job_of(
        self,
        job_type: str,
        items: list[tuple[str, Callable[[DesktopDetail], DesktopDetail]]],
        *,
        hints: bool = False,
    ) -> VolumeJobResult:
        job_id = uuid.uuid4().hex
        sub_jobs = tuple(
            SubJob(
                id=uuid.uuid4().hex,
                job_id=job_id,
                job_type=job_type,
                status="RUNNING",
                process=0,
                error_code="",
                fail_reason="",
                desktop_id=desktop_id,
                begin_time=_now(),
                end_time="",
            )
            for desktop_id, _change in items
        )
        self.jobs[job_id] = Job(job_id, job_type, "RUNNING", _now(), "", "", "", sub_jobs, "fake")
        self._pending[job_id] = items
        if not hints:  # only AddDesktopVolumes answers with the CBC hints
            return VolumeJobResult(job_id, None, None, None, None, request_id=uuid.uuid4().hex)
        return VolumeJobResult(job_id, None, 30, 1, 1, request_id=uuid.uuid4().hex)

    def _volume(self, disk_type: str, size: int, index: int) -> Volume:
        return Volume(
            id=uuid.uuid4().hex,
            volume_id=str(uuid.uuid4()),
            type=disk_type,
            size=size,
            device=f"/dev/vd{chr(ord('a') + index)}",
            display_name=f"disk-{index}",
            create_time=_now(),
        )
