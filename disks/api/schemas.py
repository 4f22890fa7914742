"""The API's request and response shapes (pydantic, through django-ninja): the OpenAPI schemas.

Shapes only: limits and rules (sizes, types on sale, the portal policy) are checked by
the same services as the forms, so that the API and the pages say the same thing.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from disks import rules
from disks.models import DiskRequest


class Volume(Schema):
    type: str = Field(min_length=1, max_length=32, description="Disk type, e.g. SAS or SSD.")
    size: int = Field(description="Size in GB.")
    iops: int | None = Field(None, description="Provisioned IOPS (GPSSD2 only).")
    throughput: int | None = Field(None, description="Provisioned throughput, MiB/s (GPSSD2 only).")


class AddDisksRequest(Schema):
    kind: Literal["add"] = Field("add", description="What to do: `add` data disks.")
    volumes: list[Volume] = Field(min_length=1, max_length=10)
    enterprise_project_id: str | None = Field(
        None, max_length=36, description="Helpdesk only; end users' disks use the desktop's."
    )


DiskRequestCreate = AddDisksRequest


class ExpandBody(Schema):
    new_size: int = Field(description="The disk's size after the expand, in GB (larger than now).")


class DeletionBody(Schema):
    volume_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1,
        max_length=rules.MAX_DELETIONS_PER_CALL,
        description="EVS ids of the desktop's data disks to delete (never the system disk).",
    )


class BatchCreate(Schema):
    desktop_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=1000, description="The desktops to give the same disks."
    )
    volumes: list[Volume] = Field(min_length=1, max_length=rules.MAX_DATA_DISKS_PER_DESKTOP)


class RejectBody(Schema):
    reason: str = Field(min_length=1, max_length=1000, description="Shown to the requester.")


class DesktopSummary(Schema):
    desktop_id: str
    computer_name: str
    status: str
    task_status: str
    user_name: str
    data_volume_count: int


class DesktopDetail(DesktopSummary):
    enterprise_project_id: str
    availability_zone: str
    synced_at: datetime
    root_volume: dict[str, Any] | None
    data_volumes: list[dict[str, Any]] = Field(description="The cloud's volume objects, as read.")


class DesktopPage(Schema):
    items: list[DesktopSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class DiskRequestOut(Schema):
    id: int
    kind: Literal["add", "expand", "delete"]
    status: Literal[
        "submitting",
        "running",
        "succeeded",
        "failed",
        "needs_review",
        "pending_approval",
        "rejected",
    ]
    status_label: str
    is_terminal: bool
    desktop_id: str
    desktop_name: str
    volumes: list[dict[str, Any]]
    enterprise_project_id: str
    audience: str
    requested_by: str
    decided_by: str
    decision_reason: str
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None
    progress: int | None
    progress_is_estimate: bool
    job_id: str = Field(description="The cloud's job id, once it accepted the request.")
    job_status: str
    sub_jobs: list[dict[str, Any]]
    error_code: str
    error_message: str
    api_request_id: str = Field(description="The cloud's request id of the last answer.")

    @staticmethod
    def from_model(disk_request: DiskRequest) -> "DiskRequestOut":
        return DiskRequestOut(
            id=disk_request.pk,
            kind=disk_request.kind,  # type: ignore[arg-type]
            status=disk_request.status,  # type: ignore[arg-type]
            status_label=str(disk_request.get_status_display()),
            is_terminal=disk_request.is_terminal,
            desktop_id=disk_request.desktop_id,
            desktop_name=disk_request.desktop_name,
            volumes=disk_request.volumes,
            enterprise_project_id=disk_request.enterprise_project_id,
            audience=disk_request.audience,
            requested_by=disk_request.requested_by_username,
            decided_by=disk_request.decided_by_username,
            decision_reason=disk_request.decision_reason,
            created_at=disk_request.created_at,
            submitted_at=disk_request.submitted_at,
            finished_at=disk_request.finished_at,
            progress=disk_request.progress,
            progress_is_estimate=disk_request.progress_is_estimate,
            job_id=disk_request.job_id,
            job_status=disk_request.job_status,
            sub_jobs=disk_request.sub_jobs or [],
            error_code=disk_request.error_code,
            error_message=disk_request.error_message,
            api_request_id=disk_request.api_request_id,
        )


class DiskRequestPage(Schema):
    items: list[DiskRequestOut]
    next_cursor: str | None


class QuotaOut(Schema):
    quota: int = Field(description="-1: no limit.")
    used: int
    unit: str


class BatchNumbersOut(Schema):
    """What the batch does (or did), from its preview."""

    ready: int = Field(description="Desktops that get the disks.")
    skipped: int = Field(description="Desktops left out, each with its reason.")
    new_disks: int
    new_gb: int
    calls: int = Field(description="AddVolumes calls the submit makes (one per chunk).")


class BatchProgressOut(Schema):
    """The ready desktops by where their request is."""

    total: int
    skipped: int
    succeeded: int
    failed: int = Field(description="Failed or needing review.")
    running: int
    waiting: int = Field(description="Not sent yet.")
    percent: int


class BatchDesktopOut(Schema):
    desktop_id: str
    desktop_name: str
    user_name: str
    data_disks: int | None = Field(description="Data disks it had at the preview.")
    skip_reason: str = Field(description="Why it is left out; empty when it is ready.")
    status: str = Field(
        description="`skipped`, `waiting` (not sent yet) or the status of its request."
    )
    disk_request: DiskRequestOut | None = Field(description="Its request, once sent.")


class BatchOut(Schema):
    id: int
    status: Literal["previewed", "sending", "running", "finished"]
    status_label: str
    is_finished: bool
    created_by: str
    volumes: list[dict[str, Any]] = Field(description="The disks every ready desktop gets.")
    retry_of: int | None
    created_at: datetime
    previewed_at: datetime | None
    submitted_at: datetime | None
    finished_at: datetime | None
    quota_volumes: QuotaOut | None = Field(description="The quota read at the preview.")
    quota_gigabytes: QuotaOut | None
    quota_fits: bool | None = Field(description="Whether the ready desktops fit; null: unknown.")
    quota_shortfall: str = Field(description="Which quota the batch would pass, in words.")
    numbers: BatchNumbersOut
    progress: BatchProgressOut
    desktops: list[BatchDesktopOut]


class DiskTypeOut(Schema):
    name: str
    # The console's name, in the caller's language (a lazy translation until it is read).
    label: Annotated[str, BeforeValidator(str)]
    iops_min: int | None
    iops_max: int | None
    throughput_min: int | None
    throughput_max: int | None


class DiskTypeList(Schema):
    items: list[DiskTypeOut]
    note: str = Field(description="Set when the list could not be refreshed from the cloud.")
    quota_volumes: QuotaOut | None = Field(description="Disks (system and data) in the tenant.")
    quota_gigabytes: QuotaOut | None
    max_disk_gb: int
    max_disks_per_request: int


class AuditEventOut(Schema):
    id: int
    sequence: int
    occurred_at: datetime
    actor_username: str
    audience: str
    action: str
    outcome: str
    desktop_id: str
    desktop_name: str
    disk_request_id: int | None
    error_code: str


class AuditEventPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None
    error_code: str | None = None
    api_request_id: str | None = None
    disk_request: int | None = None
