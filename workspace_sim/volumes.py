"""Data-disk records as ShowDesktopDetail returns them, and device naming."""

import random
import string
import uuid
from collections.abc import Iterator

from workspace_sim import timefmt

MAX_DATA_DISKS = 10
# Fields a caller may pin when it sets a desktop's disks through /_sim/.
RECORD_KEYS = ("id", "volume_id", "device", "display_name", "create_time", "bill_resource_id")


def device_names() -> Iterator[str]:
    """Yield data-disk devices in attach order: /dev/vdb ... /dev/vdz, then /dev/vdaa ..."""
    letters = string.ascii_lowercase
    for letter in letters[1:]:
        yield f"/dev/vd{letter}"
    for first in letters:
        for second in letters:
            yield f"/dev/vd{first}{second}"


def next_free_devices(volumes: list[dict], count: int) -> list[str]:
    """Return the first `count` devices no volume of the desktop uses."""
    taken = {volume.get("device") for volume in volumes}
    free = (name for name in device_names() if name not in taken)
    return [next(free) for _ in range(count)]


def new_volume(
    spec: dict,
    *,
    device: str,
    display_name: str,
    created: float,
    rng: random.Random | None = None,
) -> dict:
    """Build one data-volume record from a requested `{type, size, iops?, ...}` spec.

    `rng` makes the ids reproducible (the seed generator); jobs leave it out.
    """
    id_int = rng.getrandbits(128) if rng else uuid.uuid4().int
    volume_uuid = uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4()
    volume = {
        "id": f"{id_int:032x}",
        "volume_id": str(volume_uuid),
        "type": spec["type"],
        "size": spec["size"],
        "device": device,
        "display_name": display_name,
        "create_time": timefmt.volume_time(created),
        "bill_resource_id": "",
    }
    for key in ("iops", "throughput", "kms_id"):
        if spec.get(key) is not None:
            volume[key] = spec[key]
    return volume


def grow(data_volumes: list[dict], expansions: list[dict]) -> None:
    """Apply `{volume_id, new_size}` expansions; a disk that has gone meanwhile is skipped."""
    new_sizes = {item["volume_id"]: item["new_size"] for item in expansions}
    for volume in data_volumes:
        new_size = new_sizes.get(volume.get("volume_id"))
        if new_size is not None:
            volume["size"] = max(volume.get("size") or 0, new_size)


def without(data_volumes: list[dict], removals: list[dict]) -> list[dict]:
    """Return the data disks other than the `{volume_id}` ones removed."""
    gone = {item["volume_id"] for item in removals}
    return [volume for volume in data_volumes if volume.get("volume_id") not in gone]
