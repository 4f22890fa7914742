"""ShowQuotas, and adds and expands refused as a whole past the disk-count or GB quota."""

import pytest
import requests

from tests.sim.conftest import find_desktop, signed, v2, wait_for_job
from workspace_sim.errors import ApiError
from workspace_sim.testing import running_simulator


def show_quotas(sim) -> dict[str, dict]:
    response = signed(sim, "GET", v2(sim, "/quotas"))
    assert response.status_code == 200, response.text
    return {item["type"]: item for item in response.json()["quotas"]["resources"]}


def seed_usage(sim) -> tuple[int, int]:
    """Disks and GB of the seed, system disks included."""
    disks = [
        volume
        for desktop in sim.state.desktops.values()
        for volume in [desktop["root_volume"], *desktop["data_volumes"]]
    ]
    return len(disks), sum(volume["size"] for volume in disks)


def add_one(sim, desktop_id, size=10):
    url = v2(sim, f"/desktops/{desktop_id}/volumes")
    return signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": size}]})


def add_batch(sim, desktop_ids, size=10):
    items = [{"desktop_id": d, "volumes": [{"type": "SAS", "size": size}]} for d in desktop_ids]
    return signed(sim, "POST", v2(sim, "/volumes"), body={"desktop_volumes": items})


def idle_desktops(sim, count):
    found = [
        d["desktop_id"]
        for d in sim.state.desktops.values()
        if d["status"] == "ACTIVE" and not d["task_status"] and len(d["data_volumes"]) < 9
    ]
    return found[:count]


def test_show_quotas_counts_every_disk_against_the_configured_limits(sim):
    disks, gigabytes = seed_usage(sim)

    quotas = show_quotas(sim)

    assert quotas["volumes"] == {"type": "volumes", "quota": 1000, "used": disks, "unit": "count"}
    assert quotas["volume_gigabytes"] == {
        "type": "volume_gigabytes",
        "quota": 200_000,
        "used": gigabytes,
        "unit": "GB",
    }


def test_the_quotas_come_from_the_config():
    with running_simulator(quota_volumes=300, quota_gigabytes=-1) as sim:
        quotas = show_quotas(sim)

    assert (quotas["volumes"]["quota"], quotas["volume_gigabytes"]["quota"]) == (300, -1)


def test_a_running_add_counts_as_used_and_a_failed_one_gives_it_back(sim, clock):
    disks, gigabytes = seed_usage(sim)
    sim.fail_next_job("WKS.00010109", "The computer name is empty.")

    job_id = add_one(sim, find_desktop(sim, disks=0)["desktop_id"], size=40).json()["job_id"]
    during = show_quotas(sim)
    clock.advance(1)
    wait_for_job(sim, job_id)
    after = show_quotas(sim)

    assert (during["volumes"]["used"], during["volume_gigabytes"]["used"]) == (
        disks + 1,
        gigabytes + 40,
    )
    assert (after["volumes"]["used"], after["volume_gigabytes"]["used"]) == (disks, gigabytes)


def test_an_expand_counts_its_growth_and_a_delete_frees_only_when_done(sim, clock):
    disks, gigabytes = seed_usage(sim)
    desktop = find_desktop(sim, disks=2)
    grown, removed = desktop["data_volumes"]
    url = v2(sim, f"/desktops/{desktop['desktop_id']}/volumes/{grown['volume_id']}/expand")
    signed(sim, "POST", url, body={"new_size": grown["size"] + 100})
    expanding = show_quotas(sim)["volume_gigabytes"]["used"]
    clock.advance(1)
    url = v2(sim, f"/desktops/{desktop['desktop_id']}/volumes/batch-delete")
    signed(sim, "POST", url, body={"volume_ids": [removed["volume_id"]]})
    deleting = show_quotas(sim)
    clock.advance(1)

    after = show_quotas(sim)

    assert expanding == gigabytes + 100
    assert deleting["volumes"]["used"] == disks
    assert after["volumes"]["used"] == disks - 1
    assert after["volume_gigabytes"]["used"] == gigabytes + 100 - removed["size"]


def test_add_desktop_volumes_past_the_disk_count_quota_is_refused_with_403(sim):
    disks, _ = seed_usage(sim)
    sim.set_quotas(volumes=disks)

    response = add_one(sim, find_desktop(sim, disks=0)["desktop_id"])

    assert response.status_code == 403
    assert response.json()["error_code"] == "WKS.SIM0501"
    assert "volumes" in response.json()["error_msg"]
    assert not sim.state.jobs


def test_add_volumes_is_refused_as_a_whole_past_the_gigabyte_quota(sim):
    _, gigabytes = seed_usage(sim)
    targets = idle_desktops(sim, 3)
    sim.set_quotas(volume_gigabytes=gigabytes + 100)

    response = add_batch(sim, targets, size=50)

    assert (response.status_code, response.json()["error_code"]) == (403, "WKS.SIM0501")
    assert not sim.state.jobs
    assert all(sim.desktop(d)["task_status"] == "" for d in targets)


def test_add_volumes_exactly_up_to_the_quota_is_accepted(sim):
    disks, gigabytes = seed_usage(sim)
    targets = idle_desktops(sim, 2)
    sim.set_quotas(volumes=disks + 2, volume_gigabytes=gigabytes + 100)

    accepted = add_batch(sim, targets, size=50)
    refused = add_one(sim, idle_desktops(sim, 3)[2])

    assert accepted.status_code == 200, accepted.text
    assert refused.status_code == 403


def test_an_expand_past_the_gigabyte_quota_is_refused(sim):
    _, gigabytes = seed_usage(sim)
    desktop = find_desktop(sim, disks=2)
    disk = desktop["data_volumes"][0]
    sim.set_quotas(volume_gigabytes=gigabytes + 10)
    url = v2(sim, f"/desktops/{desktop['desktop_id']}/volumes/{disk['volume_id']}/expand")

    too_big = signed(sim, "POST", url, body={"new_size": disk["size"] + 20})
    fits = signed(sim, "POST", url, body={"new_size": disk["size"] + 10})

    assert (too_big.status_code, too_big.json()["error_code"]) == (403, "WKS.SIM0501")
    assert fits.status_code == 200


def test_minus_one_lifts_a_limit(sim):
    sim.set_quotas(volumes=-1, volume_gigabytes=-1)

    response = add_batch(sim, idle_desktops(sim, 5), size=32760)

    assert response.status_code == 200, response.text


def test_an_add_volumes_fault_is_taken_per_call(sim):
    sim.inject_fault("AddVolumes", "status", count=1, status=503)
    targets = idle_desktops(sim, 2)

    faulted = add_batch(sim, targets[:1])
    normal = add_batch(sim, targets[1:])

    assert (faulted.status_code, faulted.json()["error_code"]) == (503, "WKS.SIM0900")
    assert normal.status_code == 200
    assert len(sim.state.jobs) == 1
    assert [e["fault"] for e in sim.requests_log("AddVolumes")] == ["status", None]


def test_quotas_are_set_and_read_over_the_control_api(sim):
    url = f"{sim.url}/_sim/quotas"

    changed = requests.put(url, json={"volumes": 500}, timeout=5)
    read = requests.get(url, timeout=5).json()

    assert changed.status_code == 200
    by_type = {item["type"]: item["quota"] for item in read["quotas"]["resources"]}
    assert by_type == {"volumes": 500, "volume_gigabytes": 200_000}


@pytest.mark.parametrize(
    "payload",
    [{}, {"volumes": -2}, {"volumes": "10"}, {"cores": 4}, {"volume_gigabytes": True}],
)
def test_the_control_api_refuses_a_bad_quota(sim, payload):
    response = requests.put(f"{sim.url}/_sim/quotas", json=payload, timeout=5)

    assert (response.status_code, response.json()["error_code"]) == (400, "WKS.SIM0101")


def test_the_harness_refuses_a_bad_quota_as_the_control_api_does(sim):
    with pytest.raises(ApiError):
        sim.set_quotas(volumes=-5)


def test_reset_restores_the_configured_quotas(sim):
    sim.set_quotas(volumes=1)

    sim.reset()

    assert show_quotas(sim)["volumes"]["quota"] == 1000


def test_quotas_survive_a_restart(tmp_path):
    state_path = tmp_path / "state.json"
    with running_simulator(state_path=state_path) as sim:
        sim.set_quotas(volumes=400, volume_gigabytes=90_000)

    with running_simulator(state_path=state_path) as sim:
        quotas = show_quotas(sim)

    assert (quotas["volumes"]["quota"], quotas["volume_gigabytes"]["quota"]) == (400, 90_000)
