"""Job lifecycle: timing, progress, outcome, and the disks that appear (or not)."""

import re
import threading

import pytest

from tests.sim.conftest import FakeClock, find_desktop, signed, v2, wait_for_job
from workspace_sim.errors import ApiError
from workspace_sim.testing import running_simulator

JOB_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def start_add(sim, desktop_id, volumes=None):
    body = {"volumes": volumes or [{"type": "SAS", "size": 10}]}
    response = signed(sim, "POST", v2(sim, f"/desktops/{desktop_id}/volumes"), body=body)
    assert response.status_code == 200, response.text
    return response.json()["job_id"]


@pytest.fixture
def demo_speed_sim():
    with running_simulator() as sim:
        clock = FakeClock()
        sim.state.clock = clock
        yield sim, clock


def test_at_demo_speed_a_one_disk_job_waits_then_runs_for_about_ten_seconds(demo_speed_sim):
    sim, clock = demo_speed_sim
    job_id = start_add(sim, find_desktop(sim, disks=0)["desktop_id"])
    seen = []
    for _ in range(12):
        job = sim.job(job_id)
        seen.append((job["status"], job["sub_jobs"][0]["process"]))
        clock.advance(1)

    assert seen[:2] == [("WAITING", 0), ("WAITING", 0)]
    assert [status for status, _ in seen[2:10]] == ["RUNNING"] * 8
    progress = [process for _, process in seen[2:10]]
    assert progress == sorted(progress)
    assert progress[0] > 0
    assert progress[-1] < 100
    assert seen[10:] == [("SUCCESS", 100), ("SUCCESS", 100)]


def test_speed_divides_the_duration():
    with running_simulator(speed=2.0) as sim:
        clock = FakeClock()
        sim.state.clock = clock
        job_id = start_add(sim, find_desktop(sim, disks=0)["desktop_id"])
        clock.advance(4.9)
        assert sim.job(job_id)["status"] == "RUNNING"
        clock.advance(0.2)
        assert sim.job(job_id)["status"] == "SUCCESS"


def test_a_running_job_shows_on_the_desktop(demo_speed_sim):
    sim, clock = demo_speed_sim
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    start_add(sim, desktop_id)
    clock.advance(6)

    desktop = signed(sim, "GET", v2(sim, f"/desktops/{desktop_id}")).json()["desktop"]

    assert desktop["task_status"] == "addingVolumes"
    assert 0 < desktop["process"] < 100
    assert desktop["data_volumes"] == []


def test_a_finished_job_has_times_in_the_api_format(sim):
    job_id = start_add(sim, find_desktop(sim, disks=0)["desktop_id"])

    job = wait_for_job(sim, job_id)

    assert JOB_TIME.match(job["begin_time"]) and JOB_TIME.match(job["end_time"])
    assert JOB_TIME.match(job["sub_jobs"][0]["end_time"])
    assert "job_error_code" not in job


def test_new_disks_take_the_next_free_devices(sim):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    sim.patch_desktop(
        desktop_id,
        data_volumes=[
            {"type": "SAS", "size": 10, "device": "/dev/vdb"},
            {"type": "SAS", "size": 10, "device": "/dev/vdd"},
        ],
    )
    job_id = start_add(sim, desktop_id, [{"type": "SSD", "size": 20}, {"type": "SSD", "size": 30}])

    wait_for_job(sim, job_id)

    devices = [(v["device"], v["size"]) for v in sim.desktop(desktop_id)["data_volumes"]]
    assert devices == [("/dev/vdb", 10), ("/dev/vdd", 10), ("/dev/vdc", 20), ("/dev/vde", 30)]


def test_disks_are_applied_exactly_once(sim):
    desktop_id = find_desktop(sim, disks=9)["desktop_id"]
    job_id = start_add(sim, desktop_id)
    wait_for_job(sim, job_id)

    counts = {len(sim.desktop(desktop_id)["data_volumes"]) for _ in range(5)}

    assert counts == {10}
    assert sim.desktop(desktop_id)["task_status"] == ""


def test_a_failed_job_adds_nothing(sim):
    desktop_id = find_desktop(sim, disks=2)["desktop_id"]
    before = sim.desktop(desktop_id)["data_volumes"]
    sim.fail_next_job("WKS.00010321", "Setting the backup policy failed.")
    job_id = start_add(sim, desktop_id)

    job = wait_for_job(sim, job_id)

    assert job["status"] == "FAIL"
    assert (job["job_error_code"], job["fail_reason"]) == (
        "WKS.00010321",
        "Setting the backup policy failed.",
    )
    sub = job["sub_jobs"][0]
    assert (sub["status"], sub["error_code"]) == ("FAILED", "WKS.00010321")
    after = sim.desktop(desktop_id)
    assert after["data_volumes"] == before
    assert after["task_status"] == ""


def test_fail_next_job_affects_only_the_next_job(sim):
    first, second = [d for d in sim.state.desktops.values() if not d["data_volumes"]][:2]
    sim.fail_next_job("WKS.SIM0901", "boom")
    failing = start_add(sim, first["desktop_id"])
    passing = start_add(sim, second["desktop_id"])

    assert wait_for_job(sim, failing)["status"] == "FAIL"
    assert wait_for_job(sim, passing)["status"] == "SUCCESS"


def test_finish_job_ends_a_job_now(demo_speed_sim):
    sim, _ = demo_speed_sim
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    job_id = start_add(sim, desktop_id)

    job = sim.finish_job(job_id)

    assert job["status"] == "SUCCESS"
    assert len(sim.desktop(desktop_id)["data_volumes"]) == 1
    with pytest.raises(ApiError) as caught:
        sim.finish_job(job_id, "fail")
    assert caught.value.status == 409


def test_finish_job_can_fail_it_with_a_code(demo_speed_sim):
    sim, _ = demo_speed_sim
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    job_id = start_add(sim, desktop_id)

    job = sim.finish_job(job_id, "fail", "WKS.00010109", "computer name empty")

    assert (job["status"], job["job_error_code"]) == ("FAIL", "WKS.00010109")
    assert sim.desktop(desktop_id)["data_volumes"] == []


def test_of_two_concurrent_adds_to_one_desktop_exactly_one_is_accepted(demo_speed_sim):
    sim, _ = demo_speed_sim
    idle = [d["desktop_id"] for d in sim.state.desktops.values() if not d["data_volumes"]]
    idle = [d for d in idle if sim.state.desktops[d]["status"] == "ACTIVE"][:5]
    for desktop_id in idle:
        barrier = threading.Barrier(2)
        results = []

        def add(desktop_id=desktop_id, barrier=barrier, results=results):
            barrier.wait()
            url = v2(sim, f"/desktops/{desktop_id}/volumes")
            response = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]})
            results.append((response.status_code, response.json().get("error_code")))

        threads = [threading.Thread(target=add) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(results, key=str) == [(200, None), (400, "WKS.0407")]


def test_a_desktop_marked_adding_volumes_behind_our_back_refuses_adds(sim):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    sim.patch_desktop(desktop_id, task_status="addingVolumes")

    url = v2(sim, f"/desktops/{desktop_id}/volumes")
    response = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]})

    assert (response.status_code, response.json()["error_code"]) == (400, "WKS.0407")
