"""Refusals that depend on one desktop as it is now: its state, its disks, its running job.

validation.py checks a request on its own; these check it against the desktop, in the order
the README lists: a disk job running, not ACTIVE, another task, then the disks themselves.
"""

from workspace_sim import errors, jobs, volumes
from workspace_sim.errors import ApiError, bad_request

ADDING_VOLUMES = jobs.TASK_STATUS_OF_JOB_TYPE[jobs.JOB_TYPE_ADD_VOLUMES]


def check_can_add(desktop: dict, specs: list[dict], running_job_type: str | None) -> None:
    """Refuse adding `specs` to the desktop: busy, not ACTIVE, or past 10 data disks."""
    check_idle_and_active(desktop, running_job_type)
    desktop_id = desktop["desktop_id"]
    existing = len(desktop.get("data_volumes") or [])
    if existing + len(specs) > volumes.MAX_DATA_DISKS:
        raise bad_request(
            errors.DISK_LIMIT,
            f"Desktop {desktop_id} has {existing} data disks; adding {len(specs)} would "
            f"pass the limit of {volumes.MAX_DATA_DISKS}.",
        )


def check_idle_and_active(desktop: dict, running_job_type: str | None) -> None:
    """Refuse any disk operation while a disk job runs, or unless the desktop is ACTIVE and idle.

    A running add is refused with the cloud's documented 400 WKS.0407 (Terraform waits and
    retries on it); a running expand or delete with the simulator's 409, since the cloud's
    code for those is not public.
    """
    desktop_id = desktop["desktop_id"]
    task_status = desktop.get("task_status") or ""
    if running_job_type == jobs.JOB_TYPE_ADD_VOLUMES or task_status == ADDING_VOLUMES:
        raise bad_request(
            errors.DISKS_BEING_ADDED,
            f"This operation cannot be performed because disks are being added to desktop "
            f"{desktop_id}.",
        )
    if running_job_type or task_status in jobs.DISK_TASK_STATUSES:
        raise ApiError(
            409,
            errors.DISKS_BEING_CHANGED,
            f"Desktop {desktop_id} is busy changing its disks ({running_job_type or task_status}).",
        )
    if desktop.get("status") != "ACTIVE":
        raise ApiError(
            409,
            errors.DESKTOP_NOT_ACTIVE,
            f"Desktop {desktop_id} is {desktop.get('status')}; disks need it ACTIVE.",
        )
    if task_status:
        raise ApiError(409, errors.DESKTOP_BUSY, f"Desktop {desktop_id} is busy ({task_status}).")


def data_volume(desktop: dict, volume_id: str) -> dict:
    """Return the desktop's data disk whose EVS `volume_id` this is, or refuse.

    The short 32-hex `id` is not accepted: the API takes the EVS id (docs/workspace-api.md §3.3).
    """
    root = desktop.get("root_volume") or {}
    if volume_id == root.get("volume_id"):
        raise bad_request(
            errors.NOT_A_DATA_DISK, f"Volume {volume_id} is the system disk, not a data disk."
        )
    for volume in desktop.get("data_volumes") or []:
        if volume.get("volume_id") == volume_id:
            return volume
    raise ApiError(
        404,
        errors.VOLUME_NOT_FOUND,
        f"Volume {volume_id} is not a data disk of desktop {desktop['desktop_id']}.",
    )


def growth(volume: dict, new_size: int) -> int:
    """Return how many GB an expand to `new_size` adds; refuse a size that is not larger."""
    current = volume.get("size") or 0
    if new_size <= current:
        raise bad_request(
            errors.SIZE_NOT_LARGER,
            f"new_size {new_size} GB must be larger than the disk's {current} GB.",
        )
    return new_size - current
