"""What the benchmark measures with (its constants) and the helpers the figures share."""

import json
import math
import os
import re
import statistics
import uuid
from collections import Counter
from pathlib import Path

import requests

from bench.harness import BenchError

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
LIVE_DB = "workspace_bench"
DATASETS = {  # name: (desktops, audit events)
    "small": (100, 1_000),
    "large": (10_000, 1_000_000),
}
# The audit history grows with time, not with busyness: both datasets are a busy helpdesk's
# 1,000 events a day, so a million events are ~2.7 years of history (see docs/benchmarks.md).
EVENTS_PER_DAY = 1_000
DATA_SEED = 1
# gunicorn as README's production shape, one sync worker per core.
GUNICORN_WORKERS = 2
# A one-disk job: 2 s waiting + 8 s running at speed 1; at this speed it lives 19 s, which
# puts its end mid-way between two 2-second polls rather than on one.
JOB_SECONDS = 19.0
SIM_SPEED = 10.0 / JOB_SECONDS
POLL_SECONDS = 2
WRK_SECONDS = 6
WRK_ROUNDS = 5
WRK_CONNECTIONS = 8
WATCHERS = (1, 20, 100)
PAGE_REQUESTS = 50
SUBMITS = 30
BENCH_DESKTOPS = 80  # idle desktops added to the simulator's seed for figures 2 and 5
DESKTOPS_PER_PAGE = 25
FILTERED_ACTOR = "henrik.ops"  # one of the generated helpdesk staff


# The simulator's seed ------------------------------------------------------------------------


def write_seed(path: Path) -> tuple[Path, list[dict]]:
    """The simulator's own seed plus BENCH_DESKTOPS idle desktops, one per disk submission.

    Each add-disk POST needs an idle, ACTIVE desktop with room (the cloud refuses a second
    job on a busy one); cloning a seeded desktop keeps the shape the simulator serves.
    """
    from workspace_sim.config import DEFAULT_SEED_PATH

    seed = json.loads(DEFAULT_SEED_PATH.read_text())
    template = next(
        desktop
        for desktop in seed["desktops"]
        if desktop["status"] == "ACTIVE"
        and not desktop["task_status"]
        and desktop["data_volumes"] == []
    )
    added = []
    for number in range(1, BENCH_DESKTOPS + 1):
        desktop = json.loads(json.dumps(template))
        name = f"BENCH-PC{number:03d}"
        desktop_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-desktop-{number}"))
        desktop.update(desktop_id=desktop_id, computer_name=name, os_host_name=name)
        desktop["root_volume"] = {
            **desktop["root_volume"],
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"bench-root-{number}").hex,
            "volume_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-root-volume-{number}")),
            "display_name": f"{name.lower()}-sys",
        }
        added.append(desktop)
    seed["desktops"] += added
    path.write_text(json.dumps(seed))
    return path, added


# Small shared helpers ------------------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def bound(duration: float, period: float) -> int:
    return math.ceil(duration / period) + 2


def session(base: str, cookies: dict, role: str) -> requests.Session:
    http = requests.Session()
    http.cookies.set(cookies["cookie_name"], cookies["sessions"][role])
    return http


def requests_counter(entries) -> Counter:
    return Counter(entry["operation"] for entry in entries)


def sequence_from(location: str) -> int:
    match = re.search(r"/requests/(\d+)/", location)
    if not match:
        raise BenchError(f"the add-disk POST redirected to {location!r}, not a request page")
    return int(match.group(1))
