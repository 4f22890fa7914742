"""Generate seed.json, the simulator's starting desktops.

Run `python -m workspace_sim.seedgen > workspace_sim/seed.json`. The output is deterministic
(a fixed random seed), so regenerating it yields the same ids and the file can be committed.
"""

import json
import random
import sys
import uuid
from datetime import UTC, datetime

from workspace_sim import timefmt
from workspace_sim.volumes import device_names, new_volume

RANDOM_SEED = 20260101
AVAILABILITY_ZONE = "ap-southeast-3a"
ENTERPRISE_PROJECTS = [
    "0",
    "0",
    "3f2a4c1e-6b7d-4e8f-9a0b-1c2d3e4f5a6b",
    "8b9c0d1e-2f3a-4b5c-8d6e-7f8a9b0c1d2e",
]
USERS = [
    "alice.wong",
    "bob.martin",
    "carlos.diaz",
    "dana.kim",
    "emma.schulz",
    "farid.haddad",
    "grace.liu",
    "hiro.tanaka",
    "ines.moreau",
    "jonas.berg",
    "kavya.iyer",
    "liam.oconnor",
]
# (status, task_status, number of data disks, how many desktops like that). The first rows
# are the cases tests and demos reach for: idle with no disks, one short of the limit, full.
PROFILES = [
    ("ACTIVE", "", 0, 10),
    ("ACTIVE", "", 9, 3),
    ("ACTIVE", "", 10, 3),
    ("ACTIVE", "", 1, 8),
    ("ACTIVE", "", 2, 7),
    ("ACTIVE", "", 4, 5),
    ("ACTIVE", "", 6, 2),
    ("SHUTOFF", "", 0, 2),
    ("SHUTOFF", "", 3, 4),
    ("ERROR", "", 1, 3),
    ("HIBERNATED", "", 2, 3),
    ("ACTIVE", "rebuilding", 1, 1),
    ("ACTIVE", "desktopResizing", 2, 1),
    ("ACTIVE", "creatingWksSnapshot", 0, 1),
    ("SHUTOFF", "restoring", 1, 1),
]
DATA_TYPES = ["SAS", "SAS", "SSD", "GPSSD"]
PRODUCT = {
    "product_id": "workspace.x86.ultimate.large2",
    "flavor_id": "s6.large.2",
    "type": "BASE",
    "cpu": "2",
    "memory": "4096",
    "descriptions": "2 vCPUs | 4 GiB",
    "charge_mode": "1",
}
EPOCH_START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC).timestamp()


def generate() -> dict:
    rng = random.Random(RANDOM_SEED)  # noqa: S311 (reproducible demo data, not crypto)
    plan = [(s, t, n) for s, t, n, count in PROFILES for _ in range(count)]
    owners = [USERS[i % len(USERS)] for i in range(len(plan))]
    rng.shuffle(owners)
    counters: dict[str, int] = {}
    desktops = []
    for index, ((status, task_status, disks), owner) in enumerate(zip(plan, owners, strict=True)):
        counters[owner] = counters.get(owner, 0) + 1
        desktop = _desktop(rng, index, owner, counters[owner], status, task_status, disks)
        desktops.append(desktop)
    return {"desktops": desktops}


def _desktop(
    rng: random.Random,
    index: int,
    owner: str,
    number: int,
    status: str,
    task_status: str,
    disks: int,
) -> dict:
    first, last = owner.split(".")
    computer_name = f"{first[0]}{last}"[:10].upper() + f"-PC{number:02d}"
    created = EPOCH_START + index * 86400 * 3 + rng.randrange(0, 36000) + rng.random()
    ip = f"172.16.{index // 200}.{10 + index % 200}"
    return {
        "desktop_id": _uuid(rng),
        "computer_name": computer_name,
        "os_host_name": computer_name,
        "desktop_type": "DEDICATED",
        "status": status,
        "task_status": task_status,
        "login_status": rng.choice(["REGISTERED", "CONNECTED", "DISCONNECTED"]),
        "user_name": owner,
        "user_group": rng.choice(["administrators", "users"]),
        "attach_user_infos": _attach_users(rng, index, owner),
        "attach_state": "ATTACHED",
        "enterprise_project_id": rng.choice(ENTERPRISE_PROJECTS),
        "created": timefmt.desktop_time(created),
        "product_id": PRODUCT["product_id"],
        "product": dict(PRODUCT),
        "availability_zone": AVAILABILITY_ZONE,
        "ip_addresses": [ip],
        "ipv4": ip,
        "subnet_id": _uuid(rng),
        "metadata": {"charging_mode": "1", "os_type": "Windows", "os_bit": "64"},
        "os_version": "Windows Server 2022 Datacenter 64bit",
        "in_maintenance_mode": False,
        "tags": [],
        "root_volume": _root_volume(rng, computer_name, created),
        "data_volumes": _data_volumes(rng, computer_name, created, disks),
    }


def _attach_users(rng: random.Random, index: int, owner: str) -> list[dict]:
    users = [owner]
    if index % 7 == 3:
        users += rng.sample([u for u in USERS if u != owner], k=1 + index % 2)
    infos = [_user_info(rng, name, "USER") for name in users]
    if index % 13 == 5:
        infos.append(_user_info(rng, "finance-team", "GROUP"))
    return infos


def _user_info(rng: random.Random, name: str, kind: str) -> dict:
    return {
        "user_id": f"{rng.getrandbits(128):032x}",
        "user_name": name,
        "user_group": "users",
        "type": kind,
        "domain": "",
    }


def _root_volume(rng: random.Random, computer_name: str, created: float) -> dict:
    spec = {"type": "SAS", "size": rng.choice([80, 100, 120])}
    name = f"{computer_name.lower()}-sys"
    return new_volume(spec, device="/dev/vda", display_name=name, created=created, rng=rng)


def _data_volumes(rng: random.Random, computer_name: str, created: float, count: int) -> list:
    devices = device_names()
    volumes = []
    for number in range(1, count + 1):
        spec = {"type": rng.choice(DATA_TYPES), "size": rng.randrange(10, 510, 10)}
        name = f"{computer_name.lower()}-data{number}"
        added = created + number * 3600
        volumes.append(
            new_volume(spec, device=next(devices), display_name=name, created=added, rng=rng)
        )
    return volumes


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


if __name__ == "__main__":
    json.dump(generate(), sys.stdout, indent=1)
    sys.stdout.write("\n")
