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
# Every database the run creates (and drops) starts with this; BENCH_DB_PREFIX gives a run
# names of its own (e.g. while developing next to someone else's bench on one server).
LIVE_DB = os.environ.get("BENCH_DB_PREFIX", "workspace_bench")
# BENCH_EVENTS="1000,100000" shrinks the large history while developing (not a measurement).
_EVENTS = [int(n) for n in os.environ.get("BENCH_EVENTS", "1000,1000000").split(",")]
DATASETS = {  # name: (desktops, audit events)
    "small": (100, _EVENTS[0]),
    "large": (10_000, _EVENTS[1]),
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

# Figure 7: full syncs of fleets this large (the cloud pages 100 at a time); the desktop list
# is compared between the largest and LIST_SMALL desktops synced the same way.
SYNC_SIZES = tuple(
    int(size) for size in os.environ.get("BENCH_SYNC_SIZES", "10000,100000").split(",")
)
LIST_SMALL = 100
SYNC_PAGE = 100
# Figure 8: this many requests in flight at once, each its own job of about FLIGHT_JOB_SECONDS,
# polled every FLIGHT_POLL_SECONDS, tracked by each number of workers in turn.
# BENCH_FLIGHT="requests,baseline,job seconds" shrinks it while developing.
_FLIGHT = [float(part) for part in os.environ.get("BENCH_FLIGHT", "2000,100,120").split(",")]
FLIGHT_REQUESTS = int(_FLIGHT[0])
FLIGHT_BASELINE = int(_FLIGHT[1])  # figure 11's comparison: a worker after tracking this many
FLIGHT_JOB_SECONDS = _FLIGHT[2]
FLIGHT_SPEED = 10.0 / FLIGHT_JOB_SECONDS
FLIGHT_POLL_SECONDS = 10
FLIGHT_WORKERS = (1, 3)
# Figure 11: a gunicorn worker's peak RSS after this many mixed requests, against after fewer.
MEMORY_REQUESTS = tuple(
    int(count) for count in os.environ.get("BENCH_MEMORY_REQUESTS", "100,10000").split(",")
)
MEMORY_CLIENTS = 4
# Figure 9: a helpdesk batch of this many desktops (one disk each), on idle desktops of figure
# 8's seed; BENCH_BATCH=200 shrinks it while developing. The cloud takes 100 desktops an
# AddVolumes call; the preview reads them 100 a call, BATCH_PARALLEL calls at once.
BATCH_DESKTOPS = int(os.environ.get("BENCH_BATCH", "1000"))
BATCH_CHUNK = 100
BATCH_PARALLEL = 4
BATCH_WORKERS = 1


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


def fleet_desktops(count: int, prefix: str, *, idle: bool = False):
    """`count` desktops shaped like the seed's (cycling through them), with ids of their own.

    With `idle`, every one is an ACTIVE desktop with no task and no data disks (one add-disk
    job each). Yields them one at a time: a 100,000-desktop seed is built as it is written.
    """
    from workspace_sim.config import DEFAULT_SEED_PATH

    seed = json.loads(DEFAULT_SEED_PATH.read_text())["desktops"]
    if idle:
        seed = [
            desktop
            for desktop in seed
            if desktop["status"] == "ACTIVE"
            and not desktop["task_status"]
            and desktop["data_volumes"] == []
        ]
    for number in range(count):
        desktop = json.loads(json.dumps(seed[number % len(seed)]))
        name = f"{prefix}{number:06d}"
        desktop.update(
            desktop_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{prefix}-{number}")),
            computer_name=name,
            os_host_name=name,
        )
        for index, volume in enumerate([desktop["root_volume"], *desktop["data_volumes"]]):
            volume["volume_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}-volume-{index}"))
            volume["id"] = uuid.uuid5(uuid.NAMESPACE_URL, f"{name}-id-{index}").hex
        yield desktop


def write_fleet_seed(path: Path, count: int, prefix: str, *, idle: bool = False) -> Path:
    """A simulator seed of `count` desktops (kept when an earlier run wrote the same one)."""
    stamp = path.with_suffix(".recipe")
    recipe = json.dumps({"count": count, "prefix": prefix, "idle": idle, "version": 1})
    if path.exists() and stamp.exists() and stamp.read_text() == recipe:
        return path
    with path.open("w") as out:
        out.write('{"desktops": [')
        for number, desktop in enumerate(fleet_desktops(count, prefix, idle=idle)):
            out.write(("," if number else "") + json.dumps(desktop))
        out.write("]}")
    stamp.write_text(recipe)
    return path


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
