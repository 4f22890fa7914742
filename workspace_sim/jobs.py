"""Disk jobs whose progress is a pure function of the clock.

Nothing ticks in the background: a job stores when it was created, how long each sub-job
waits and runs, and how it is meant to end. Whoever reads the job asks `view(now)`; the
state then settles sub-jobs that have ended (applies their disks) exactly once.
"""

import dataclasses
import uuid
from dataclasses import dataclass, field

from workspace_sim import errors, timefmt

JOB_TYPE_ADD_VOLUMES = "addVolumes"
JOB_TYPE_EXPAND_VOLUMES = "expandVolumes"
JOB_TYPE_DELETE_VOLUMES = "deleteVolumes"
# The desktop's task_status while a job of that type works on it (docs/workspace-api.md §5.4).
TASK_STATUS_OF_JOB_TYPE = {
    JOB_TYPE_ADD_VOLUMES: "addingVolumes",
    JOB_TYPE_EXPAND_VOLUMES: "expandingVolumes",
    JOB_TYPE_DELETE_VOLUMES: "deletingVolumes",
}
DISK_TASK_STATUSES = frozenset(TASK_STATUS_OF_JOB_TYPE.values())
# A failing sub-job gives up part-way through RUNNING, as a real one would.
FAIL_AT_FRACTION = 0.6
DEFAULT_FAIL_REASON = "The job was failed by the simulator."
EXECUTOR_HOST = "192.168.0.21"


@dataclass
class SubJob:
    """One desktop's share of a job.

    `volumes` holds what the sub-job does to that desktop's disks, by job type: the new
    disks' specs (add), `{volume_id, new_size}` (expand) or `{volume_id}` (delete).
    """

    id: str
    desktop_id: str
    volumes: list[dict]
    entities: dict
    waiting: float
    running: float
    settled: bool = False


@dataclass
class Ending:
    """How a job ends: planned at creation (fail-next-job) or forced (finish)."""

    outcome: str  # "success" | "fail"
    error_code: str = ""
    fail_reason: str = ""
    at: float | None = None  # forced endings only


@dataclass
class SubJobView:
    status: str  # WAITING | RUNNING | SUCCESS | FAILED
    process: int
    end: float | None
    ending: Ending | None

    @property
    def terminal(self) -> bool:
        return self.status in ("SUCCESS", "FAILED")


@dataclass
class Job:
    id: str
    project_id: str
    created: float
    sub_jobs: list[SubJob]
    planned: Ending = field(default_factory=lambda: Ending("success"))
    forced: Ending | None = None
    settled: bool = False
    job_type: str = JOB_TYPE_ADD_VOLUMES

    @classmethod
    def from_record(cls, record: dict) -> "Job":
        record = dict(record)
        record["sub_jobs"] = [SubJob(**sub) for sub in record["sub_jobs"]]
        record["planned"] = Ending(**record["planned"])
        record["forced"] = Ending(**record["forced"]) if record.get("forced") else None
        return cls(**record)

    def to_record(self) -> dict:
        return dataclasses.asdict(self)

    def sub_end(self, sub: SubJob) -> tuple[Ending, float]:
        """How and when `sub` ends (it is terminal from that time on)."""
        start = self.created + sub.waiting
        failing = self.planned.outcome == "fail"
        natural_end = start + sub.running * (FAIL_AT_FRACTION if failing else 1.0)
        if self.forced and self.forced.at is not None and self.forced.at < natural_end:
            return self.forced, max(self.forced.at, self.created)
        return self.planned, natural_end

    def sub_view(self, sub: SubJob, now: float) -> SubJobView:
        """Where `sub` stands at `now`."""
        start = self.created + sub.waiting
        ending, end = self.sub_end(sub)
        if now >= end:
            if ending.outcome == "success":
                return SubJobView("SUCCESS", 100, end, ending)
            return SubJobView("FAILED", _percent(end - start, sub.running), end, ending)
        if now < start:
            return SubJobView("WAITING", 0, None, None)
        return SubJobView("RUNNING", max(1, _percent(now - start, sub.running)), None, None)

    def is_terminal(self, now: float) -> bool:
        return all(self.sub_view(sub, now).terminal for sub in self.sub_jobs)

    def show(self, now: float) -> dict:
        """The ShowJob body."""
        views = [self.sub_view(sub, now) for sub in self.sub_jobs]
        body = {
            "id": self.id,
            "job_type": self.job_type,
            "begin_time": timefmt.job_time(self.created),
            "status": _top_status(views),
            "sub_jobs_total": len(self.sub_jobs),
            "sub_jobs": [
                self.sub_job_body(sub, view) for sub, view in zip(self.sub_jobs, views, strict=True)
            ],
        }
        if all(view.terminal for view in views):
            body["end_time"] = timefmt.job_time(max(view.end or 0 for view in views))
        failed = next((view for view in views if view.status == "FAILED"), None)
        if body["status"] == "FAIL" and failed and failed.ending:
            body["job_error_code"] = failed.ending.error_code
            body["fail_reason"] = failed.ending.fail_reason
        return body

    def sub_job_body(self, sub: SubJob, view: SubJobView) -> dict:
        """One JobDetailInfo, as ShowJob and ListItaSubJobs return it."""
        body = {
            "id": sub.id,
            "job_id": self.id,
            "job_type": self.job_type,
            "entities": dict(sub.entities),
            "begin_time": timefmt.job_time(self.created),
            "status": view.status,
            "process": view.process,
            "host": EXECUTOR_HOST,
            "project_id": self.project_id,
            "attach_user": sub.entities.get("user_name", ""),
            "entity": sub.desktop_id,
            "ip_address": sub.entities.get("ip_address", ""),
        }
        if view.end is not None:
            body["end_time"] = timefmt.job_time(view.end)
        if view.status == "FAILED" and view.ending:
            body["error_code"] = view.ending.error_code
            body["fail_reason"] = view.ending.fail_reason
        return body


def new_job(
    job_type: str, project_id: str, created: float, subs: list[SubJob], planned: Ending | None
) -> Job:
    return Job(
        id=str(uuid.uuid4()),
        project_id=project_id,
        created=created,
        sub_jobs=subs,
        planned=planned or Ending("success"),
        job_type=job_type,
    )


def new_sub_job(desktop: dict, volumes: list[dict], durations: tuple[float, float]) -> SubJob:
    waiting, running = durations
    entities = {
        "desktop_id": desktop["desktop_id"],
        "product_id": desktop.get("product_id", ""),
        "user_name": desktop.get("user_name", ""),
        "desktop_name": desktop.get("computer_name", ""),
        "ip_address": (desktop.get("ip_addresses") or [""])[0],
    }
    return SubJob(
        id=str(uuid.uuid4()),
        desktop_id=desktop["desktop_id"],
        volumes=volumes,
        entities=entities,
        waiting=waiting,
        running=running,
    )


def forced_ending(outcome: str, at: float, error_code: str = "", fail_reason: str = "") -> Ending:
    if outcome == "success":
        return Ending("success", at=at)
    return Ending("fail", error_code or errors.JOB_FAILED, fail_reason or DEFAULT_FAIL_REASON, at)


def _top_status(views: list[SubJobView]) -> str:
    if all(view.status == "WAITING" for view in views):
        return "WAITING"
    if not all(view.terminal for view in views):
        return "RUNNING"
    return "SUCCESS" if all(view.status == "SUCCESS" for view in views) else "FAIL"


def _percent(elapsed: float, total: float) -> int:
    if total <= 0:
        return 99
    return max(0, min(99, int(100 * elapsed / total)))
