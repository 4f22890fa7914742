"""ExpandDesktopVolume, ExpandVolumes and DeleteDesktopVolumes over HTTP: refusals, jobs, state."""

import pytest
import requests

from tests.sim.conftest import find_desktop, signed, v2, wait_for_job


def expand_one(sim, desktop_id, volume_id, body):
    url = v2(sim, f"/desktops/{desktop_id}/volumes/{volume_id}/expand")
    return signed(sim, "POST", url, body=body)


def expand_many(sim, items):
    return signed(
        sim, "POST", v2(sim, "/volumes/expand"), body={"desktop_volumes_expansion": items}
    )


def delete(sim, desktop_id, volume_ids):
    url = v2(sim, f"/desktops/{desktop_id}/volumes/batch-delete")
    return signed(sim, "POST", url, body={"volume_ids": volume_ids})


def refusal(response) -> tuple[int, str]:
    return response.status_code, response.json()["error_code"]


@pytest.fixture
def desktop(sim) -> dict:
    """An ACTIVE, idle seed desktop with two data disks."""
    return find_desktop(sim, disks=2)


def first_disk(desktop: dict) -> dict:
    return desktop["data_volumes"][0]


# -- ExpandDesktopVolume -------------------------------------------------------------------


def test_an_expand_shows_on_the_desktop_only_once_its_job_succeeds(sim, clock, desktop):
    disk = first_disk(desktop)
    old_size, new_size = disk["size"], disk["size"] + 50

    response = expand_one(sim, desktop["desktop_id"], disk["volume_id"], {"new_size": new_size})
    during = sim.desktop(desktop["desktop_id"])
    clock.advance(1)
    job = sim.job(response.json()["job_id"])
    after = sim.desktop(desktop["desktop_id"])

    assert response.status_code == 200, response.text
    assert set(response.json()) == {"job_id"}
    assert during["task_status"] == "expandingVolumes"
    assert during["data_volumes"][0]["size"] == old_size
    assert (job["job_type"], job["status"]) == ("expandVolumes", "SUCCESS")
    assert [s["entities"]["desktop_id"] for s in job["sub_jobs"]] == [desktop["desktop_id"]]
    assert after["task_status"] == ""
    assert after["data_volumes"][0]["size"] == new_size
    assert after["data_volumes"][0]["volume_id"] == disk["volume_id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "WKS.SIM0101"),
        ({"new_size": "100"}, 400, "WKS.SIM0101"),
        ({"new_size": 105}, 400, "WKS.SIM0102"),
        ({"new_size": 32770}, 400, "WKS.SIM0102"),
    ],
    ids=["no-size", "size-as-string", "not-a-multiple-of-10", "above-32760"],
)
def test_expand_refuses_a_bad_body(sim, desktop, body, status, code):
    response = expand_one(sim, desktop["desktop_id"], first_disk(desktop)["volume_id"], body)

    assert refusal(response) == (status, code)


def test_expand_refuses_a_size_that_is_not_larger(sim, desktop):
    disk = first_disk(desktop)

    same = expand_one(sim, desktop["desktop_id"], disk["volume_id"], {"new_size": disk["size"]})

    assert refusal(same) == (400, "WKS.SIM0109")


def test_expand_up_to_32760_gb_is_accepted(sim, desktop):
    disk = first_disk(desktop)

    response = expand_one(sim, desktop["desktop_id"], disk["volume_id"], {"new_size": 32760})

    assert response.status_code == 200, response.text


def test_expand_refuses_the_system_disk(sim, desktop):
    root = desktop["root_volume"]

    response = expand_one(sim, desktop["desktop_id"], root["volume_id"], {"new_size": 500})

    assert refusal(response) == (400, "WKS.SIM0110")


def test_expand_takes_the_evs_volume_id_not_the_short_id(sim, desktop):
    short_id = first_disk(desktop)["id"]

    response = expand_one(sim, desktop["desktop_id"], short_id, {"new_size": 500})

    assert refusal(response) == (404, "WKS.SIM0203")


def test_expand_refuses_a_disk_of_another_desktop(sim, desktop):
    other = find_desktop(sim, disks=4)

    response = expand_one(
        sim, desktop["desktop_id"], first_disk(other)["volume_id"], {"new_size": 600}
    )

    assert refusal(response) == (404, "WKS.SIM0203")


def test_expand_of_an_unknown_desktop_is_a_404(sim, desktop):
    volume_id = first_disk(desktop)["volume_id"]

    response = expand_one(sim, "no-such-desktop", volume_id, {"new_size": 600})

    assert refusal(response) == (404, "WKS.SIM0201")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "SHUTOFF"}, "WKS.SIM0301"),
        ({"task_status": "rebuilding"}, "WKS.SIM0302"),
        ({"task_status": "deletingVolumes"}, "WKS.SIM0304"),
    ],
    ids=["not-active", "other-task", "disk-task"],
)
def test_expand_refuses_a_desktop_that_is_off_or_busy(sim, desktop, change, code):
    sim.patch_desktop(desktop["desktop_id"], **change)

    response = expand_one(
        sim, desktop["desktop_id"], first_disk(desktop)["volume_id"], {"new_size": 600}
    )

    assert refusal(response) == (409, code)


def test_a_running_expand_makes_the_desktop_busy_for_every_disk_operation(sim, clock, desktop):
    desktop_id, disk = desktop["desktop_id"], first_disk(desktop)
    second = desktop["data_volumes"][1]
    assert expand_one(sim, desktop_id, disk["volume_id"], {"new_size": 600}).status_code == 200

    again = expand_one(sim, desktop_id, second["volume_id"], {"new_size": 600})
    removal = delete(sim, desktop_id, [second["volume_id"]])
    addition = signed(
        sim, "POST", v2(sim, f"/desktops/{desktop_id}/volumes"),
        body={"volumes": [{"type": "SAS", "size": 10}]},
    )  # fmt: skip

    assert refusal(again) == (409, "WKS.SIM0304")
    assert refusal(removal) == (409, "WKS.SIM0304")
    assert refusal(addition) == (409, "WKS.SIM0304")


def test_a_running_add_refuses_an_expand_with_wks_0407(sim, clock, desktop):
    desktop_id = desktop["desktop_id"]
    url = v2(sim, f"/desktops/{desktop_id}/volumes")
    assert signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]}).ok

    response = expand_one(sim, desktop_id, first_disk(desktop)["volume_id"], {"new_size": 600})

    assert refusal(response) == (400, "WKS.0407")


def test_a_failed_expand_leaves_the_disk_as_it_was(sim, desktop):
    disk = first_disk(desktop)
    old_size = disk["size"]
    sim.fail_next_job("WKS.00010321", "EVS refused the expansion.")

    response = expand_one(sim, desktop["desktop_id"], disk["volume_id"], {"new_size": 990})
    job = wait_for_job(sim, response.json()["job_id"])
    after = sim.desktop(desktop["desktop_id"])

    assert (job["status"], job["job_error_code"]) == ("FAIL", "WKS.00010321")
    assert job["sub_jobs"][0]["status"] == "FAILED"
    assert after["data_volumes"][0]["size"] == old_size
    assert after["task_status"] == ""


# -- ExpandVolumes (batch) ---------------------------------------------------------------


def test_a_batch_expand_runs_one_sub_job_per_desktop(sim):
    first, second = find_desktop(sim, disks=2), find_desktop(sim, disks=4)
    items = [
        {"desktop_id": first["desktop_id"], "volume_id": v["volume_id"], "new_size": 1000}
        for v in first["data_volumes"]
    ] + [{"desktop_id": second["desktop_id"], "volume_id": first_disk(second)["volume_id"],
          "new_size": 2000}]  # fmt: skip

    response = expand_many(sim, items)
    job = wait_for_job(sim, response.json()["job_id"])

    assert response.status_code == 200, response.text
    assert job["status"] == "SUCCESS"
    assert sorted(s["entities"]["desktop_id"] for s in job["sub_jobs"]) == sorted(
        [first["desktop_id"], second["desktop_id"]]
    )
    assert [v["size"] for v in sim.desktop(first["desktop_id"])["data_volumes"]] == [1000, 1000]
    assert sim.desktop(second["desktop_id"])["data_volumes"][0]["size"] == 2000


def test_a_batch_expand_is_all_or_nothing(sim):
    good, off = find_desktop(sim, disks=2), find_desktop(sim, status="SHUTOFF", disks=3)
    items = [
        {"desktop_id": good["desktop_id"], "volume_id": first_disk(good)["volume_id"],
         "new_size": 1000},
        {"desktop_id": off["desktop_id"], "volume_id": first_disk(off)["volume_id"],
         "new_size": 1000},
    ]  # fmt: skip

    response = expand_many(sim, items)

    assert refusal(response) == (409, "WKS.SIM0301")
    assert sim.desktop(good["desktop_id"])["task_status"] == ""
    assert not sim.state.jobs


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([], "WKS.SIM0104"),
        ("nope", "WKS.SIM0101"),
        ([{"desktop_id": "d", "new_size": 100}], "WKS.SIM0101"),
    ],
    ids=["empty", "not-a-list", "no-volume-id"],
)
def test_a_batch_expand_refuses_a_bad_list(sim, items, code):
    assert refusal(expand_many(sim, items)) == (400, code)


def test_a_batch_expand_refuses_more_than_100_items(sim, desktop):
    item = {"desktop_id": desktop["desktop_id"], "volume_id": "v", "new_size": 100}

    assert refusal(expand_many(sim, [item] * 101)) == (400, "WKS.SIM0104")


def test_a_batch_expand_refuses_one_volume_twice(sim, desktop):
    item = {"desktop_id": desktop["desktop_id"], "volume_id": first_disk(desktop)["volume_id"]}

    response = expand_many(sim, [{**item, "new_size": 600}, {**item, "new_size": 700}])

    assert refusal(response) == (400, "WKS.SIM0111")


# -- DeleteDesktopVolumes ----------------------------------------------------------------


def test_a_delete_removes_the_disks_only_once_its_job_succeeds(sim, clock, desktop):
    desktop_id = desktop["desktop_id"]
    gone, kept = desktop["data_volumes"]

    response = delete(sim, desktop_id, [gone["volume_id"]])
    during = sim.desktop(desktop_id)
    clock.advance(1)
    job = sim.job(response.json()["job_id"])
    after = sim.desktop(desktop_id)

    assert response.status_code == 200, response.text
    assert during["task_status"] == "deletingVolumes"
    assert len(during["data_volumes"]) == 2
    assert (job["job_type"], job["status"]) == ("deleteVolumes", "SUCCESS")
    assert [v["volume_id"] for v in after["data_volumes"]] == [kept["volume_id"]]
    assert after["task_status"] == ""


def test_a_freed_device_is_reused_by_the_next_add(sim, clock, desktop):
    desktop_id = desktop["desktop_id"]
    gone = first_disk(desktop)
    delete(sim, desktop_id, [gone["volume_id"]])
    clock.advance(1)
    url = v2(sim, f"/desktops/{desktop_id}/volumes")

    job_id = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]}).json()
    clock.advance(1)
    sim.job(job_id["job_id"])

    devices = [v["device"] for v in sim.desktop(desktop_id)["data_volumes"]]
    assert gone["device"] in devices


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "WKS.SIM0101"),
        ({"volume_ids": []}, "WKS.SIM0104"),
        ({"volume_ids": [f"v{i}" for i in range(11)]}, "WKS.SIM0104"),
        ({"volume_ids": [""]}, "WKS.SIM0101"),
        ({"volume_ids": [7]}, "WKS.SIM0101"),
        ({"volume_ids": ["same", "same"]}, "WKS.SIM0111"),
    ],
    ids=["no-ids", "empty", "eleven", "empty-id", "number", "twice"],
)
def test_delete_refuses_a_bad_body(sim, desktop, body, code):
    url = v2(sim, f"/desktops/{desktop['desktop_id']}/volumes/batch-delete")

    assert refusal(signed(sim, "POST", url, body=body)) == (400, code)


def test_delete_refuses_the_system_disk_and_unknown_disks(sim, desktop):
    desktop_id = desktop["desktop_id"]
    root, disk = desktop["root_volume"], first_disk(desktop)

    system = delete(sim, desktop_id, [disk["volume_id"], root["volume_id"]])
    unknown = delete(sim, desktop_id, [disk["volume_id"], "0b0b0b0b-0000-4000-8000-000000000000"])
    short_id = delete(sim, desktop_id, [disk["id"]])

    assert refusal(system) == (400, "WKS.SIM0110")
    assert refusal(unknown) == (404, "WKS.SIM0203")
    assert refusal(short_id) == (404, "WKS.SIM0203")
    assert len(sim.desktop(desktop_id)["data_volumes"]) == 2


def test_delete_refuses_a_desktop_that_is_not_active(sim):
    off = find_desktop(sim, status="SHUTOFF", disks=3)

    response = delete(sim, off["desktop_id"], [first_disk(off)["volume_id"]])

    assert refusal(response) == (409, "WKS.SIM0301")


def test_a_failed_delete_keeps_the_disks(sim, desktop):
    sim.fail_next_job("WKS.00010110", "No valid IP.")

    response = delete(sim, desktop["desktop_id"], [first_disk(desktop)["volume_id"]])
    job = wait_for_job(sim, response.json()["job_id"])

    assert job["status"] == "FAIL"
    assert len(sim.desktop(desktop["desktop_id"])["data_volumes"]) == 2


def test_finish_ends_a_delete_job_now(sim, desktop):
    response = delete(sim, desktop["desktop_id"], [first_disk(desktop)["volume_id"]])

    job = sim.finish_job(response.json()["job_id"])

    assert job["status"] == "SUCCESS"
    assert len(sim.desktop(desktop["desktop_id"])["data_volumes"]) == 1


# -- jobs ------------------------------------------------------------------------------


def test_list_ita_sub_jobs_finds_expand_and_delete_sub_jobs_by_type(sim):
    first, second = find_desktop(sim, disks=2), find_desktop(sim, disks=4)
    expanded = expand_one(
        sim, first["desktop_id"], first_disk(first)["volume_id"], {"new_size": 900}
    ).json()["job_id"]
    deleted = delete(sim, second["desktop_id"], [first_disk(second)["volume_id"]]).json()["job_id"]

    def listed(job_type):
        query = f"/workspace-sub-jobs?job_type={job_type}"
        return signed(sim, "GET", v2(sim, query)).json()["jobs"]

    assert [(j["job_id"], j["entities"]["desktop_id"]) for j in listed("expandVolumes")] == [
        (expanded, first["desktop_id"])
    ]
    assert [(j["job_id"], j["entities"]["desktop_id"]) for j in listed("deleteVolumes")] == [
        (deleted, second["desktop_id"])
    ]
    assert listed("addVolumes") == []


@pytest.mark.parametrize("operation", ["ExpandDesktopVolume", "ExpandVolumes"])
def test_an_injected_fault_hits_the_expand_call_and_starts_no_job(sim, desktop, operation):
    sim.inject_fault(operation, "status", status=503)
    item = {"desktop_id": desktop["desktop_id"], "volume_id": first_disk(desktop)["volume_id"]}

    if operation == "ExpandDesktopVolume":
        response = expand_one(sim, item["desktop_id"], item["volume_id"], {"new_size": 600})
    else:
        response = expand_many(sim, [{**item, "new_size": 600}])

    assert refusal(response) == (503, "WKS.SIM0900")
    assert not sim.state.jobs
    assert sim.requests_log(operation)[0]["fault"] == "status"


def test_an_injected_fault_hits_delete_and_starts_no_job(sim, desktop):
    sim.inject_fault("DeleteDesktopVolumes", "drop")

    with pytest.raises(requests.ConnectionError):
        delete(sim, desktop["desktop_id"], [first_disk(desktop)["volume_id"]])

    assert not sim.state.jobs
