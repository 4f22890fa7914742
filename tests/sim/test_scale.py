"""A large tenant: paging a big fleet and many jobs in flight cost per page and per job, not per fleet.

No timings here: the tests check the work done (which desktops a page reads, which jobs a tick
looks at), so that a sync's or a worker's benchmark measures the dashboard, not the simulator.
"""

import json
import uuid

import pytest

from tests.sim.conftest import FakeClock, find_desktop, signed, v2
from workspace_sim import operations
from workspace_sim.config import DEFAULT_SEED_PATH
from workspace_sim.state import SimState
from workspace_sim.testing import running_simulator


@pytest.fixture
def big_seed(tmp_path):
    """The seed's first idle desktop cloned 1,000 times (distinct ids and names)."""
    seed = json.loads(DEFAULT_SEED_PATH.read_text())
    template = next(d for d in seed["desktops"] if d["status"] == "ACTIVE" and not d["task_status"])
    desktops = []
    for number in range(1000):
        desktop = json.loads(json.dumps(template))
        desktop["desktop_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"scale-{number}"))
        desktop["computer_name"] = f"SCALE-{number:04d}"
        desktops.append(desktop)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({**seed, "desktops": desktops}))
    return path, desktops


def test_unfiltered_pages_list_every_desktop_once_in_seed_order_without_a_filter(
    big_seed, monkeypatch
):
    path, desktops = big_seed
    real_filter = operations._desktop_filter

    def no_predicate_per_desktop(query):
        predicate = real_filter(query)
        if predicate is None:
            return None
        return lambda desktop: pytest.fail("a filter ran on every desktop of an unfiltered list")

    monkeypatch.setattr(operations, "_desktop_filter", no_predicate_per_desktop)
    with running_simulator(seed_path=path) as sim:
        listed, offset = [], 0
        while True:
            response = signed(sim, "GET", v2(sim, f"/desktops/detail?offset={offset}&limit=100"))
            body = response.json()
            assert response.status_code == 200
            assert body["total_count"] == 1000
            listed += [desktop["desktop_id"] for desktop in body["desktops"]]
            offset += len(body["desktops"])
            if not body["desktops"] or offset >= body["total_count"]:
                break

    assert listed == [desktop["desktop_id"] for desktop in desktops]


def test_filters_still_apply_when_given(big_seed):
    path, _ = big_seed
    with running_simulator(seed_path=path) as sim:
        response = signed(sim, "GET", v2(sim, "/desktops/detail?computer_name=SCALE-000&limit=100"))

    assert response.json()["total_count"] == 10  # SCALE-0000 .. SCALE-0009


def test_a_tick_before_the_first_job_ends_looks_at_no_job(sim, clock: FakeClock, monkeypatch):
    job_ids = []
    for disks in (0, 1, 2):
        desktop = find_desktop(sim, disks=disks)
        body = {"volumes": [{"type": "SAS", "size": 10}]}
        response = signed(
            sim, "POST", v2(sim, f"/desktops/{desktop['desktop_id']}/volumes"), body=body
        )
        job_ids.append(response.json()["job_id"])
    sim.state.tick()  # looks once, and learns when the first sub-job ends
    settled = []
    real_settle = SimState._settle
    monkeypatch.setattr(
        SimState,
        "_settle",
        lambda self, job, now: settled.append(job.id) or real_settle(self, job, now),
    )

    for _ in range(20):
        assert sim.job(job_ids[0])["status"] in ("WAITING", "RUNNING")
    assert settled == []

    clock.advance(3600)
    assert [sim.job(job_id)["status"] for job_id in job_ids] == ["SUCCESS"] * 3
    assert sorted(settled) == sorted(job_ids)  # looked at once each, then settled
    settled.clear()
    sim.job(job_ids[0])
    assert settled == []  # settled jobs are skipped, none is left unsettled


def test_a_forced_ending_is_settled_at_once(sim, clock: FakeClock):
    desktop = find_desktop(sim, disks=0)
    body = {"volumes": [{"type": "SAS", "size": 10}]}
    response = signed(sim, "POST", v2(sim, f"/desktops/{desktop['desktop_id']}/volumes"), body=body)
    job_id = response.json()["job_id"]
    sim.state.tick()

    sim.finish_job(job_id)

    assert sim.job(job_id)["status"] == "SUCCESS"
    assert len(sim.desktop(desktop["desktop_id"])["data_volumes"]) == 1
    assert sim.desktop(desktop["desktop_id"])["task_status"] == ""


def test_starting_a_job_does_not_make_the_next_tick_look_at_the_others(sim, clock, monkeypatch):
    desktops = [find_desktop(sim, disks=disks) for disks in (0, 1)]
    body = {"volumes": [{"type": "SAS", "size": 10}]}
    first = signed(
        sim, "POST", v2(sim, f"/desktops/{desktops[0]['desktop_id']}/volumes"), body=body
    )
    sim.state.tick()
    settled = []
    real_settle = SimState._settle
    monkeypatch.setattr(
        SimState,
        "_settle",
        lambda self, job, now: settled.append(job.id) or real_settle(self, job, now),
    )

    second = signed(
        sim, "POST", v2(sim, f"/desktops/{desktops[1]['desktop_id']}/volumes"), body=body
    )
    sim.job(first.json()["job_id"])

    assert second.status_code == 200
    assert settled == []
    clock.advance(3600)
    assert sim.job(second.json()["job_id"])["status"] == "SUCCESS"


def test_with_no_quota_limits_an_add_does_not_sum_the_fleets_disks(sim, monkeypatch):
    from workspace_sim import quotas

    sim.set_quotas(volumes=-1, volume_gigabytes=-1)
    monkeypatch.setattr(quotas, "usage", lambda *args: pytest.fail("summed the fleet's disks"))
    desktop = find_desktop(sim, disks=0)
    body = {"volumes": [{"type": "SAS", "size": 10}]}

    response = signed(sim, "POST", v2(sim, f"/desktops/{desktop['desktop_id']}/volumes"), body=body)

    assert response.status_code == 200
