"""The /_sim/ control endpoints over HTTP, and the request log."""

import pytest
import requests

from tests.sim.conftest import find_desktop, signed, v2, wait_for_job
from workspace_sim.testing import running_simulator


def control(sim, method, path, payload=None):
    return requests.request(method, f"{sim.url}/_sim{path}", json=payload, timeout=5)


def test_patch_changes_status_and_task_status(sim):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]

    response = control(sim, "PATCH", f"/desktops/{desktop_id}", {"status": "SHUTOFF"})
    refused = signed(
        sim, "POST", v2(sim, f"/desktops/{desktop_id}/volumes"),
        body={"volumes": [{"type": "SAS", "size": 10}]},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.json()["desktop"]["status"] == "SHUTOFF"
    assert refused.status_code == 409
    control(sim, "PATCH", f"/desktops/{desktop_id}", {"status": "ACTIVE", "task_status": "x"})
    assert sim.desktop(desktop_id)["task_status"] == "x"


def test_patch_sets_or_appends_data_volumes(sim):
    desktop_id = find_desktop(sim, disks=4)["desktop_id"]

    replaced = control(
        sim, "PATCH", f"/desktops/{desktop_id}", {"data_volumes": [{"type": "SSD", "size": 40}]}
    ).json()["desktop"]["data_volumes"]
    appended = control(
        sim, "PATCH", f"/desktops/{desktop_id}",
        {"add_data_volumes": [{"type": "SAS", "size": 10}, {"type": "SAS", "size": 20}]},
    ).json()["desktop"]["data_volumes"]  # fmt: skip

    assert [(v["type"], v["size"], v["device"]) for v in replaced] == [("SSD", 40, "/dev/vdb")]
    assert [v["device"] for v in appended] == ["/dev/vdb", "/dev/vdc", "/dev/vdd"]
    assert all(len(v["id"]) == 32 for v in appended)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"user_name": "mallory"}, 400),
        ({"status": 3}, 400),
        ({"data_volumes": [{"type": "SAS"}]}, 400),
        ({"add_data_volumes": "many"}, 400),
    ],
)
def test_patch_refuses_what_it_cannot_change(sim, payload, status):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]

    assert control(sim, "PATCH", f"/desktops/{desktop_id}", payload).status_code == status


def test_patch_of_an_unknown_desktop_is_a_404(sim):
    response = control(sim, "PATCH", "/desktops/nope", {"status": "ACTIVE"})

    assert (response.status_code, response.json()["error_code"]) == (404, "WKS.SIM0201")


def test_fail_next_job_and_finish_over_http(sim):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    failure = {"error_code": "WKS.00010306", "fail_reason": "no backup"}

    assert control(sim, "POST", "/fail-next-job", failure).status_code == 200
    url = v2(sim, f"/desktops/{desktop_id}/volumes")
    job_id = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]}).json()[
        "job_id"
    ]
    job = wait_for_job(sim, job_id)
    finished = control(sim, "POST", f"/jobs/{job_id}/finish", {"outcome": "success"})

    assert job["job_error_code"] == "WKS.00010306"
    assert (finished.status_code, finished.json()["error_code"]) == (409, "WKS.SIM0303")
    assert control(sim, "POST", "/fail-next-job", {"fail_reason": "x"}).status_code == 400
    assert control(sim, "POST", "/jobs/nope/finish", {}).status_code == 404


def test_finish_over_http_ends_a_running_job(sim, clock):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    url = v2(sim, f"/desktops/{desktop_id}/volumes")
    job_id = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]}).json()[
        "job_id"
    ]

    finished = control(sim, "POST", f"/jobs/{job_id}/finish", {"outcome": "fail"})

    assert finished.status_code == 200
    assert finished.json()["status"] == "FAIL"
    assert finished.json()["job_error_code"] == "WKS.SIM0901"
    assert control(sim, "POST", f"/jobs/{job_id}/finish", {"outcome": "maybe"}).status_code == 400


def test_reset_restores_the_seed_and_clears_log_faults_and_tokens(sim):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    sim.patch_desktop(desktop_id, add_data_volumes=[{"type": "SAS", "size": 10}])
    sim.inject_fault("ShowJob", "status", status=500)
    user = {"name": sim.config.iam_user, "password": sim.config.iam_password}
    user["domain"] = {"name": sim.config.iam_domain}
    token = requests.post(
        f"{sim.url}/v3/auth/tokens",
        json={"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                       "scope": {"project": {"name": "r"}}}},
        timeout=5,
    ).headers["X-Subject-Token"]  # fmt: skip

    assert control(sim, "POST", "/reset").status_code == 200

    assert sim.desktop(desktop_id)["data_volumes"] == []
    assert sim.requests_log() == []
    assert control(sim, "GET", "/faults").json() == {"faults": []}
    response = requests.get(v2(sim, "/volume/products"), headers={"X-Auth-Token": token}, timeout=5)
    assert response.status_code == 401


def test_the_request_log_filters_and_clears(sim):
    signed(sim, "GET", v2(sim, "/volume/products"))
    signed(sim, "GET", v2(sim, "/desktops/detail?limit=2"))

    everything = control(sim, "GET", "/requests").json()["requests"]
    listing = control(sim, "GET", "/requests?operation=ListDesktopsDetail").json()["requests"]
    control(sim, "DELETE", "/requests")

    assert [e["seq"] for e in everything] == [1, 2]
    assert [(e["operation"], e["query"], e["status"]) for e in listing] == [
        ("ListDesktopsDetail", "limit=2", 200)
    ]
    assert set(everything[0]) == {
        "seq", "time", "method", "path", "query", "operation", "auth", "auth_ok", "status",
        "duration_ms", "fault",
    }  # fmt: skip
    assert control(sim, "GET", "/requests").json() == {"requests": []}


def test_control_calls_are_not_logged(sim):
    control(sim, "GET", "/health")
    control(sim, "GET", "/requests")

    assert sim.requests_log() == []


def test_the_log_is_a_bounded_ring():
    with running_simulator(request_log_size=5) as sim:
        for _ in range(12):
            requests.get(f"{sim.url}/x", timeout=5)

        assert [e["seq"] for e in sim.requests_log()] == [8, 9, 10, 11, 12]


def test_an_unknown_control_endpoint_is_a_404(sim):
    response = control(sim, "POST", "/explode")

    assert (response.status_code, response.json()["error_code"]) == (404, "APIGW.0101")
    assert control(sim, "PUT", "/faults").status_code == 405
    assert control(sim, "POST", "/faults", None).status_code == 400
