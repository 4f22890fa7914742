"""What differs between the kinds of disk request (add, expand, delete): one row per kind.

Everything else about a request (checking, recording, sending once, following the job,
reconciling a lost answer, the lifecycle moves, the audit trail, the email) is the same
code for every kind; it looks up the request's `Operation` here for the few things that
differ: what the desktop must allow, how the request's disks are recorded, which cloud call
sends it, which job type its sub-jobs have, how the desktop shows that it was done, what the
audit history keeps of it, and how to say that it failed. A new kind adds a row to OPERATIONS.

The shape of `DiskRequest.volumes` per kind is documented on the model.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disks import rules
from disks.client import (
    VolumeExpansion,
    VolumeJobResult,
    VolumeSpec,
    WorkspaceClient,
    WorkspaceError,
)
from disks.models import Desktop, DiskRequest
from disks.services.inventory import disk_types_offered

Kind = DiskRequest.Kind
VolumeDicts = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Operation:
    """One kind of disk request, as far as it differs from the others."""

    # The cloud call that carries the request out (outside any transaction).
    send: Callable[[WorkspaceClient, DiskRequest], VolumeJobResult]
    # The job type of its sub-jobs (ListItaSubJobs), to find a lost submit's job.
    job_type: str
    # Whether the desktop as read now shows the request done (reconcile of a lost submit).
    done_on: Callable[[DiskRequest, Desktop], bool]
    # What a failed job means, in words, with the cloud's reasons as %(reason)s.
    failure: str | Promise
    # Why the desktop as just read cannot take the request's disks (empty: it can).
    problems: Callable[[Desktop, VolumeDicts, WorkspaceClient], list[str]]
    # The disks as the request records them, completed from the desktop as just read.
    recorded: Callable[[Desktop, VolumeDicts], list[dict[str, Any]]]
    # What the audit event of its success keeps (a deletion: exactly which disks went).
    done_details: Callable[[DiskRequest], dict[str, Any]]
    # Whole sentences (a translation needs them whole): the desktop is not running, another
    # request of this kind is in flight (%(pk)s), the cloud may have started it (%(problem)s).
    not_running: Promise
    in_flight: Promise
    outcome_unknown: Promise


def data_volume(desktop: Desktop, volume_id: str) -> dict[str, Any] | None:
    """The desktop's data disk with this EVS id, or None."""
    return next((v for v in desktop.data_volumes if v.get("volume_id") == volume_id), None)


def _is_system_disk(desktop: Desktop, volume_id: str) -> bool:
    root = desktop.root_volume or {}
    return root.get("volume_id") == volume_id


def _duplicates(volumes: VolumeDicts) -> list[str]:
    ids = [volume["volume_id"] for volume in volumes]
    twice = sorted({volume_id for volume_id in ids if ids.count(volume_id) > 1})
    return [_("Disk %(id)s is named more than once.") % {"id": volume_id} for volume_id in twice]


_SYSTEM_DISK = {
    "expanded": gettext_lazy("The system disk cannot be expanded here: only data disks can."),
    "deleted": gettext_lazy("The system disk cannot be deleted here: only data disks can."),
}


def _missing_or_system(desktop: Desktop, volume_id: str, verb: str) -> str | None:
    if _is_system_disk(desktop, volume_id):
        return str(_SYSTEM_DISK[verb])
    if data_volume(desktop, volume_id) is None:
        return _(
            "Disk %(id)s is not a data disk of this desktop (any more): refresh the "
            "desktop and choose again."
        ) % {"id": volume_id}
    return None


def _named_disks_problems(
    desktop: Desktop,
    volumes: VolumeDicts,
    *,
    verb: str,
    none_chosen: str,
    too_many: str,
    at_most: int,
) -> list[str]:
    """What expand and delete both check of the disks a request names: at least one, not
    more than one call takes, each named once, each a data disk the desktop has now."""
    if not volumes:
        return [none_chosen]
    if len(volumes) > at_most:
        return [too_many % {"count": at_most}]
    problems = _duplicates(volumes)
    for volume in volumes:
        problem = _missing_or_system(desktop, volume["volume_id"], verb)
        if problem:
            problems.append(problem)
    return problems


def _disk_as_now(desktop: Desktop, volume_id: str) -> dict[str, Any]:
    """How a request records a disk it names: its id, and its type and size as just read."""
    now = data_volume(desktop, volume_id) or {}
    return {"volume_id": volume_id, "type": now.get("type", ""), "size": now.get("size", 0)}


# Add ------------------------------------------------------------------------------------------


def _add_send(client: WorkspaceClient, disk_request: DiskRequest) -> VolumeJobResult:
    return client.add_desktop_volumes(
        disk_request.desktop_id,
        [VolumeSpec(**volume) for volume in disk_request.volumes],
        enterprise_project_id=disk_request.enterprise_project_id,
    )


def _add_done_on(disk_request: DiskRequest, desktop: Desktop) -> bool:
    added = desktop.data_volume_count - (disk_request.data_disks_before or 0)
    return added >= disk_request.disk_count


def _add_problems(desktop: Desktop, volumes: VolumeDicts, client: WorkspaceClient) -> list[str]:
    if not volumes:
        return [_("Add at least one disk.")]
    problems = []
    too_many = rules.too_many_disks_error(desktop.data_volume_count, len(volumes))
    if too_many:
        problems.append(too_many)
    offer = disk_types_offered(client=client)
    for number, volume in enumerate(volumes, start=1):
        size_problem = rules.size_error(volume["size"])
        if size_problem:
            problems.append(
                _("Disk %(number)s: %(problem)s") % {"number": number, "problem": size_problem}
            )
        disk_type = offer.get(volume["type"])
        if disk_type is None:
            offered = ", ".join(t.name for t in offer.types)
            problems.append(
                _(
                    "Disk %(number)s: the cloud does not offer %(type)s disks now; choose one "
                    "of %(offered)s."
                )
                % {"number": number, "type": volume["type"], "offered": offered}
            )
        elif disk_type.needs_qos and not (volume.get("iops") and volume.get("throughput")):
            problems.append(
                _("Disk %(number)s: %(type)s disks need IOPS and throughput.")
                % {"number": number, "type": volume["type"]}
            )
    return problems


def _as_asked(desktop: Desktop, volumes: VolumeDicts) -> list[dict[str, Any]]:
    return [dict(volume) for volume in volumes]


def _nothing(disk_request: DiskRequest) -> dict[str, Any]:
    return {}


# Expand ---------------------------------------------------------------------------------------


def _expand_send(client: WorkspaceClient, disk_request: DiskRequest) -> VolumeJobResult:
    """One disk: ExpandDesktopVolume. Several disks of the desktop: one ExpandVolumes job."""
    volumes = disk_request.volumes
    if len(volumes) == 1:
        return client.expand_desktop_volume(
            disk_request.desktop_id, volumes[0]["volume_id"], volumes[0]["new_size"]
        )
    return client.expand_volumes(
        [
            VolumeExpansion(disk_request.desktop_id, volume["volume_id"], volume["new_size"])
            for volume in volumes
        ]
    )


def _expand_done_on(disk_request: DiskRequest, desktop: Desktop) -> bool:
    for volume in disk_request.volumes:
        now = data_volume(desktop, volume["volume_id"])
        if now is None or now["size"] < volume["new_size"]:
            return False
    return True


def added_gb(desktop: Desktop, volumes: VolumeDicts) -> int:
    """How many GB growing these disks adds, from the sizes the desktop has now."""
    total = 0
    for volume in volumes:
        now = data_volume(desktop, volume["volume_id"])
        if now is not None:
            total += max(0, volume["new_size"] - now["size"])
    return total


def _expand_problems(desktop: Desktop, volumes: VolumeDicts, client: WorkspaceClient) -> list[str]:
    problems = _named_disks_problems(
        desktop,
        volumes,
        verb="expanded",
        none_chosen=_("Choose at least one disk to expand."),
        too_many=_("At most %(count)s disks can be expanded at a time."),
        at_most=rules.MAX_EXPANSIONS_PER_CALL,
    )
    if not volumes or len(volumes) > rules.MAX_EXPANSIONS_PER_CALL:
        return problems
    for volume in volumes:
        now = data_volume(desktop, volume["volume_id"])
        size_problem = now and rules.expand_size_error(now["size"], volume["new_size"])
        if size_problem:
            problems.append(
                _("Disk %(number)s: %(problem)s")
                % {"number": volume["volume_id"], "problem": size_problem}
            )
    if not problems:
        problems += _quota_problems(added_gb(desktop, volumes), client)
    return problems


def _quota_problems(added: int, client: WorkspaceClient) -> list[str]:
    """The GB quota, if the cloud says what it is: an answer that fails never blocks."""
    try:
        quotas = client.show_quotas()
    except WorkspaceError:
        return []
    if quotas.room_for(0, added):
        return []
    left = quotas.gigabytes.remaining if quotas.gigabytes else None
    return [
        _(
            "The tenant's disk quota has room for %(left)s GB more; this adds %(added)s GB. Ask "
            "for a larger quota, or choose a smaller size."
        )
        % {"left": left, "added": added}
    ]


def _expand_recorded(desktop: Desktop, volumes: VolumeDicts) -> list[dict[str, Any]]:
    return [
        {**_disk_as_now(desktop, volume["volume_id"]), "new_size": volume["new_size"]}
        for volume in volumes
    ]


def _expand_done_details(disk_request: DiskRequest) -> dict[str, Any]:
    return {"expanded": disk_request.volumes, "added_gb": disk_request.added_gb}


# Delete ---------------------------------------------------------------------------------------


def _delete_send(client: WorkspaceClient, disk_request: DiskRequest) -> VolumeJobResult:
    return client.delete_desktop_volumes(
        disk_request.desktop_id, [volume["volume_id"] for volume in disk_request.volumes]
    )


def _delete_done_on(disk_request: DiskRequest, desktop: Desktop) -> bool:
    return all(data_volume(desktop, v["volume_id"]) is None for v in disk_request.volumes)


def _delete_problems(desktop: Desktop, volumes: VolumeDicts, client: WorkspaceClient) -> list[str]:
    return _named_disks_problems(
        desktop,
        volumes,
        verb="deleted",
        none_chosen=_("Choose at least one data disk to delete."),
        too_many=_("At most %(count)s disks can be deleted at a time."),
        at_most=rules.MAX_DELETIONS_PER_CALL,
    )


def _delete_recorded(desktop: Desktop, volumes: VolumeDicts) -> list[dict[str, Any]]:
    recorded = []
    for volume in volumes:
        now = data_volume(desktop, volume["volume_id"]) or {}
        recorded.append(
            {**_disk_as_now(desktop, volume["volume_id"]), "device": now.get("device", "")}
        )
    return recorded


def _delete_done_details(disk_request: DiskRequest) -> dict[str, Any]:
    return {"deleted": disk_request.volumes}


OPERATIONS: Final[Mapping[str, Operation]] = {
    Kind.ADD: Operation(
        send=_add_send,
        job_type="addVolumes",
        done_on=_add_done_on,
        failure=gettext_lazy("The cloud could not add the disks: %(reason)s"),
        problems=_add_problems,
        recorded=_as_asked,
        done_details=_nothing,
        not_running=gettext_lazy(
            "The desktop is %(status)s: disks can be added only while it is running (ACTIVE). "
            "Start it, then try again."
        ),
        in_flight=gettext_lazy(
            "Request #%(pk)s is already adding disks to this desktop: wait for it to finish, "
            "then try again."
        ),
        outcome_unknown=gettext_lazy(
            "%(problem)s. The cloud may or may not have started adding the disks; this request "
            "is being checked and will not be sent again."
        ),
    ),
    Kind.EXPAND: Operation(
        send=_expand_send,
        job_type="expandVolumes",
        done_on=_expand_done_on,
        failure=gettext_lazy("The cloud could not expand the disks: %(reason)s"),
        problems=_expand_problems,
        recorded=_expand_recorded,
        done_details=_expand_done_details,
        not_running=gettext_lazy(
            "The desktop is %(status)s: disks can be expanded only while it is running (ACTIVE). "
            "Start it, then try again."
        ),
        in_flight=gettext_lazy(
            "Request #%(pk)s is already expanding disks of this desktop: wait for it to finish, "
            "then try again."
        ),
        outcome_unknown=gettext_lazy(
            "%(problem)s. The cloud may or may not have started expanding the disks; this "
            "request is being checked and will not be sent again."
        ),
    ),
    Kind.DELETE: Operation(
        send=_delete_send,
        job_type="deleteVolumes",
        done_on=_delete_done_on,
        failure=gettext_lazy("The cloud could not delete the disks: %(reason)s"),
        problems=_delete_problems,
        recorded=_delete_recorded,
        done_details=_delete_done_details,
        not_running=gettext_lazy(
            "The desktop is %(status)s: disks can be deleted only while it is running (ACTIVE). "
            "Start it, then try again."
        ),
        in_flight=gettext_lazy(
            "Request #%(pk)s is already deleting disks of this desktop: wait for it to finish, "
            "then try again."
        ),
        outcome_unknown=gettext_lazy(
            "%(problem)s. The cloud may or may not have started deleting the disks; this "
            "request is being checked and will not be sent again."
        ),
    ),
}


def operation_of(disk_request: DiskRequest) -> Operation:
    return OPERATIONS[disk_request.kind]
