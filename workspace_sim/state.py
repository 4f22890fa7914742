"""The simulator's world: desktops, disk jobs and IAM tokens, under one lock.

Every operation takes `state.lock`, calls `tick()` so jobs that have ended in the meantime
put their disks on the desktop, then reads or changes what it needs. One lock keeps the
checks and the change of an add atomic: of two concurrent adds to one desktop exactly one
sees it idle. With `--state FILE` every change is written to FILE (atomically) and loaded
at start.
"""

import functools
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from workspace_sim import desktop_checks, errors, jobs, quotas, volumes
from workspace_sim.config import SimConfig
from workspace_sim.errors import ApiError
from workspace_sim.jobs import Ending, Job

STATE_FORMAT = "workspace_sim.state/1"


@functools.lru_cache(maxsize=8)
def _seed_text(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


def load_seed(path: Path) -> list[dict]:
    """Return fresh copies of the seed desktops (the file is read once per version)."""
    return json.loads(_seed_text(path, path.stat().st_mtime_ns))["desktops"]


class SimState:
    def __init__(self, config: SimConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.desktops: dict[str, dict] = {}
        # The desktops in listing order, kept beside the dict: a page of ListDesktopsDetail is
        # a slice of it, O(page), where copying the dict's values was O(fleet) a page (4 ms
        # a page at 100,000; docs/benchmarks.md, figure 7). Desktops change in place; the
        # fleet itself changes only through _set_desktops and desktop_remove, which keep both.
        self.desktop_order: list[dict] = []
        self.jobs: dict[str, Job] = {}
        self.tokens: dict[str, dict] = {}
        self.next_failure: Ending | None = None
        self.quota_limits = self._configured_limits()
        # No unsettled sub-job ends before this time, so tick() has nothing to do until then.
        # Every change to the jobs sets it back to 0 (look at them all on the next tick).
        self.settle_after = 0.0
        path = config.state_path
        if path and path.exists():
            self._load(path)
        else:
            self.reset()

    # -- lifecycle -----------------------------------------------------------------------

    def _set_desktops(self, desktops: list[dict]) -> None:
        self.desktops = {desktop["desktop_id"]: desktop for desktop in desktops}
        self.desktop_order = list(self.desktops.values())

    def desktop_remove(self, desktop_id: str) -> dict:
        """Take a desktop out of the fleet, as if deleted in the cloud (tests use it)."""
        with self.lock:
            desktop = self.desktops.pop(desktop_id)
            self.desktop_order.remove(desktop)
            return desktop

    def reset(self) -> None:
        """Back to the seed: no jobs, no tokens, no pending failure."""
        with self.lock:
            self._set_desktops(load_seed(self.config.seed_file))
            self.jobs = {}
            self.settle_after = 0.0
            self.tokens = {}
            self.next_failure = None
            self.quota_limits = self._configured_limits()
            self.save()

    def _configured_limits(self) -> quotas.Limits:
        return quotas.Limits(self.config.quota_volumes, self.config.quota_gigabytes)

    def tick(self) -> None:
        """Settle every sub-job that has ended since the last look.

        Every request ticks; with thousands of jobs in flight, looking at each of them every
        time would make each request O(jobs). So the earliest end of an unsettled sub-job is
        remembered, and nothing is looked at before it.
        """
        with self.lock:
            now = self.clock()
            if now < self.settle_after:
                return
            changed = False
            next_end = float("inf")
            for job in self.jobs.values():
                if not job.settled:
                    changed |= self._settle(job, now)
                if not job.settled:
                    ends = [job.sub_end(sub)[1] for sub in job.sub_jobs if not sub.settled]
                    next_end = min([next_end, *ends])
            self.settle_after = next_end
            if changed:
                self.save()

    def _settle(self, job: Job, now: float) -> bool:
        changed = False
        for sub in job.sub_jobs:
            view = job.sub_view(sub, now)
            if sub.settled or not view.terminal:
                continue
            sub.settled = changed = True
            desktop = self.desktops.get(sub.desktop_id)
            if desktop is None:
                continue
            if view.status == "SUCCESS":
                self._apply(job.job_type, desktop, sub.volumes, view.end or now)
            task_status = desktop.get("task_status")
            if task_status in jobs.DISK_TASK_STATUSES and not self._busy(sub.desktop_id):
                desktop["task_status"] = ""
        job.settled = all(sub.settled for sub in job.sub_jobs)
        return changed

    def _apply(self, job_type: str, desktop: dict, changes: list[dict], when: float) -> None:
        """Make a succeeded sub-job's change to the desktop's disks."""
        if job_type == jobs.JOB_TYPE_ADD_VOLUMES:
            self._attach(desktop, changes, when)
        elif job_type == jobs.JOB_TYPE_EXPAND_VOLUMES:
            volumes.grow(desktop.get("data_volumes") or [], changes)
        elif job_type == jobs.JOB_TYPE_DELETE_VOLUMES:
            desktop["data_volumes"] = volumes.without(desktop.get("data_volumes") or [], changes)

    def _attach(self, desktop: dict, specs: list[dict], when: float) -> None:
        data = desktop.setdefault("data_volumes", [])
        devices = volumes.next_free_devices(data, len(specs))
        base = desktop.get("computer_name", "desktop").lower()
        for spec, device in zip(specs, devices, strict=True):
            name = f"{base}-data{len(data) + 1}"
            data.append(volumes.new_volume(spec, device=device, display_name=name, created=when))

    def _busy(self, desktop_id: str) -> bool:
        """Whether an unsettled sub-job still works on the desktop."""
        return self._running_job_type(desktop_id) is not None

    def _running_job_type(self, desktop_id: str) -> str | None:
        """The type of the job with an unsettled sub-job on the desktop, if any."""
        return next(
            (
                job.job_type
                for job in self._running_jobs()
                for sub in job.sub_jobs
                if sub.desktop_id == desktop_id and not sub.settled
            ),
            None,
        )

    def _running_jobs(self) -> list[Job]:
        return [job for job in self.jobs.values() if not job.settled]

    # -- reads -----------------------------------------------------------------------------

    def desktop(self, desktop_id: str) -> dict:
        desktop = self.desktops.get(desktop_id)
        if desktop is None:
            raise ApiError(404, errors.DESKTOP_NOT_FOUND, f"Desktop {desktop_id} does not exist.")
        return desktop

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, errors.JOB_NOT_FOUND, f"Job {job_id} does not exist.")
        return job

    def desktop_body(self, desktop: dict) -> dict:
        """A copy of the desktop as the API shows it, with its task's progress."""
        body = json.loads(json.dumps(desktop))
        body["process"] = self._desktop_process(desktop["desktop_id"])
        return body

    def _desktop_process(self, desktop_id: str) -> int | None:
        now = self.clock()
        running = [
            job.sub_view(sub, now).process
            for job in self.jobs.values()
            if not job.settled
            for sub in job.sub_jobs
            if sub.desktop_id == desktop_id and not sub.settled
        ]
        return max(running) if running else None

    def quota_usage(self) -> quotas.Usage:
        return quotas.usage(self.desktops.values(), self._running_jobs())

    # -- changes ---------------------------------------------------------------------------

    def add_volumes(self, batch: list[tuple[str, list[dict]]]) -> Job:
        """Start one add-volumes job for [(desktop_id, specs)], all or nothing."""
        with self.lock:
            self.tick()
            targets = [(self.desktop(desktop_id), specs) for desktop_id, specs in batch]
            for desktop, specs in targets:
                running = self._running_job_type(desktop["desktop_id"])
                desktop_checks.check_can_add(desktop, specs, running)
            all_specs = [spec for _, specs in targets for spec in specs]
            self._check_quota(quotas.Usage(len(all_specs), sum(s["size"] for s in all_specs)))
            return self._start_job(jobs.JOB_TYPE_ADD_VOLUMES, targets)

    def expand_volumes(self, batch: list[tuple[str, list[dict]]]) -> Job:
        """Start one expand job for [(desktop_id, [{volume_id, new_size}])], all or nothing."""
        with self.lock:
            self.tick()
            targets = [(self.desktop(desktop_id), items) for desktop_id, items in batch]
            added_gigabytes = 0
            for desktop, items in targets:
                desktop_checks.check_idle_and_active(
                    desktop, self._running_job_type(desktop["desktop_id"])
                )
                for item in items:
                    volume = desktop_checks.data_volume(desktop, item["volume_id"])
                    added_gigabytes += desktop_checks.growth(volume, item["new_size"])
            self._check_quota(quotas.Usage(0, added_gigabytes))
            return self._start_job(jobs.JOB_TYPE_EXPAND_VOLUMES, targets)

    def delete_volumes(self, desktop_id: str, volume_ids: list[str]) -> Job:
        """Start a job deleting the desktop's data disks with these EVS volume ids."""
        with self.lock:
            self.tick()
            desktop = self.desktop(desktop_id)
            desktop_checks.check_idle_and_active(desktop, self._running_job_type(desktop_id))
            for volume_id in volume_ids:
                desktop_checks.data_volume(desktop, volume_id)
            removals = [{"volume_id": volume_id} for volume_id in volume_ids]
            return self._start_job(jobs.JOB_TYPE_DELETE_VOLUMES, [(desktop, removals)])

    def _check_quota(self, wanted: quotas.Usage) -> None:
        limits = self.quota_limits
        if limits.volumes == quotas.UNLIMITED and limits.gigabytes == quotas.UNLIMITED:
            return  # nothing to pass; summing every disk of the fleet would be O(fleet) per call
        quotas.check_room(limits, self.quota_usage(), wanted)

    def _start_job(self, job_type: str, targets: list[tuple[dict, list[dict]]]) -> Job:
        """Create the job (one sub-job per desktop), taking a pending fail-next-job."""
        subs = [
            jobs.new_sub_job(desktop, changes, self.config.job_durations(len(changes)))
            for desktop, changes in targets
        ]
        job = jobs.new_job(job_type, self.config.project_id, self.clock(), subs, self.next_failure)
        self.next_failure = None
        self.jobs[job.id] = job
        # The other jobs' ends are as they were: only this one's can come sooner.
        self.settle_after = min([self.settle_after, *(job.sub_end(sub)[1] for sub in subs)])
        for desktop, _ in targets:
            desktop["task_status"] = jobs.TASK_STATUS_OF_JOB_TYPE[job_type]
        self.save()
        return job

    def set_quotas(self, disks: int | None = None, gigabytes: int | None = None) -> None:
        """Change the tenant's disk-count and GB quotas (None keeps one as it is)."""
        with self.lock:
            current = self.quota_limits
            self.quota_limits = quotas.Limits(
                current.volumes if disks is None else disks,
                current.gigabytes if gigabytes is None else gigabytes,
            )
            self.save()

    def fail_next_job(self, error_code: str, fail_reason: str) -> None:
        with self.lock:
            self.next_failure = Ending("fail", error_code, fail_reason)
            self.save()

    def finish_job(self, job_id: str, outcome: str, error_code: str = "", reason: str = "") -> Job:
        """End a job now with `outcome` ("success" or "fail"); sub-jobs already done stay."""
        with self.lock:
            self.tick()
            job = self.job(job_id)
            now = self.clock()
            if job.is_terminal(now):
                raise ApiError(409, errors.JOB_ALREADY_ENDED, f"Job {job_id} has already ended.")
            job.forced = jobs.forced_ending(outcome, now, error_code, reason)
            self.settle_after = 0.0
            self.tick()
            self.save()
            return job

    def patch_desktop(self, desktop_id: str, changes: dict) -> dict:
        """Apply already-checked changes (see control.py) to one desktop."""
        with self.lock:
            self.tick()
            desktop = self.desktop(desktop_id)
            for key in ("status", "task_status"):
                if key in changes:
                    desktop[key] = changes[key]
            if "data_volumes" in changes:
                self._replace_volumes(desktop, changes["data_volumes"])
            if "add_data_volumes" in changes:
                self._attach(desktop, changes["add_data_volumes"], self.clock())
            self.save()
            return desktop

    def _replace_volumes(self, desktop: dict, items: list[dict]) -> None:
        """Set the data disks; each item keeps the ids/device it gives, the rest is made up."""
        desktop["data_volumes"] = []
        for item in items:
            self._attach(desktop, [item], self.clock())
            given = {key: item[key] for key in volumes.RECORD_KEYS if key in item}
            desktop["data_volumes"][-1].update(given)

    # -- persistence -----------------------------------------------------------------------

    def save(self) -> None:
        path = self.config.state_path
        if path is None:
            return
        with self.lock:
            record = {
                "format": STATE_FORMAT,
                "desktops": list(self.desktops.values()),
                "jobs": [job.to_record() for job in self.jobs.values()],
                "tokens": self.tokens,
                "next_failure": self.next_failure.__dict__ if self.next_failure else None,
                "quotas": self.quota_limits.to_record(),
            }
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temporary, path)

    def _load(self, path: Path) -> None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("format") != STATE_FORMAT:
                raise ValueError(f"unknown format {record.get('format')!r}")
            self._set_desktops(record["desktops"])
            self.jobs = {job["id"]: Job.from_record(job) for job in record["jobs"]}
            self.settle_after = 0.0
            self.tokens = record.get("tokens") or {}
            failure = record.get("next_failure")
            self.next_failure = Ending(**failure) if failure else None
            # Files written before quotas existed carry none: keep the configured ones.
            if record.get("quotas"):
                self.quota_limits = quotas.Limits.from_record(record["quotas"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot load simulator state from {path}: {exc}") from exc
