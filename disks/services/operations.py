"""What differs between the kinds of disk request (add, expand, delete): one row per kind.

Everything else about a request (checking, recording, sending once, following the job,
reconciling a lost answer, the lifecycle moves, the audit trail, the email) is the same
code for every kind; it looks up the request's `Operation` here for the few things that
differ: which cloud call sends it, which job type its sub-jobs have, how the desktop shows
that it was done, and how to say that it failed. A new kind adds a row to OPERATIONS.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from disks.client import VolumeJobResult, VolumeSpec, WorkspaceClient
from disks.models import Desktop, DiskRequest


@dataclass(frozen=True)
class Operation:
    """One kind of disk request, as far as it differs from the others."""

    # The cloud call that carries the request out (outside any transaction).
    send: Callable[[WorkspaceClient, DiskRequest], VolumeJobResult]
    # The job type of its sub-jobs (ListItaSubJobs), to find a lost submit's job.
    job_type: str
    # Whether the desktop as read now shows the request done (reconcile of a lost submit).
    done_on: Callable[[DiskRequest, Desktop], bool]
    # What a failed job means, in words: "The cloud could not {failure}: {reason}".
    failure: str


def _add_send(client: WorkspaceClient, disk_request: DiskRequest) -> VolumeJobResult:
    return client.add_desktop_volumes(
        disk_request.desktop_id,
        [VolumeSpec(**volume) for volume in disk_request.volumes],
        enterprise_project_id=disk_request.enterprise_project_id,
    )


def _add_done_on(disk_request: DiskRequest, desktop: Desktop) -> bool:
    added = desktop.data_volume_count - (disk_request.data_disks_before or 0)
    return added >= disk_request.disk_count


OPERATIONS: Final[Mapping[str, Operation]] = {
    DiskRequest.Kind.ADD: Operation(
        send=_add_send, job_type="addVolumes", done_on=_add_done_on, failure="add the disks"
    ),
}


def operation_of(disk_request: DiskRequest) -> Operation:
    return OPERATIONS[disk_request.kind]
