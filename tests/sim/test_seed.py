"""The committed seed: enough desktops, users and edge cases, and reproducible."""

import json
import re
import uuid
from collections import Counter
from pathlib import Path

from workspace_sim import seedgen

SEED_PATH = Path(seedgen.__file__).with_name("seed.json")
USERNAME = re.compile(r"^[a-z]+\.[a-z]+$")


def desktops() -> list[dict]:
    return json.loads(SEED_PATH.read_text())["desktops"]


def test_the_committed_seed_is_what_the_generator_makes():
    assert json.loads(SEED_PATH.read_text()) == seedgen.generate()


def test_it_has_at_least_50_desktops_of_at_least_10_users():
    seed = desktops()
    users = Counter(d["user_name"] for d in seed)

    assert len(seed) >= 50
    assert len(users) >= 10
    assert all(USERNAME.match(name) for name in users)


def test_it_covers_states_task_states_and_disk_counts():
    seed = desktops()
    statuses = Counter(d["status"] for d in seed)
    disk_counts = Counter(len(d["data_volumes"]) for d in seed if d["status"] == "ACTIVE")

    assert statuses.most_common(1)[0][0] == "ACTIVE"
    assert {"ACTIVE", "SHUTOFF", "ERROR", "HIBERNATED"} <= set(statuses)
    assert any(d["task_status"] for d in seed)
    assert disk_counts[0] and disk_counts[9] and disk_counts[10]
    assert "0" in {d["enterprise_project_id"] for d in seed}
    assert len({d["enterprise_project_id"] for d in seed}) >= 3
    assert any(len(d["attach_user_infos"]) > 1 for d in seed)


def test_ids_and_devices_have_the_api_shapes():
    for desktop in desktops():
        uuid.UUID(desktop["desktop_id"])
        devices = [v["device"] for v in desktop["data_volumes"]]
        assert devices == [f"/dev/vd{chr(ord('b') + n)}" for n in range(len(devices))]
        for volume in [desktop["root_volume"], *desktop["data_volumes"]]:
            assert re.fullmatch(r"[0-9a-f]{32}", volume["id"])
            uuid.UUID(volume["volume_id"])
            assert volume["size"] % 10 == 0
