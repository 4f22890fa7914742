"""Injected faults: every kind, through the harness and through POST /_sim/faults."""

import json
import time

import pytest
import requests
from huaweicloudsdkcore.exceptions.exceptions import ServerResponseException
from huaweicloudsdkworkspace.v2 import ListVolumeProductInfoRequest

from tests.sim.conftest import signed, v2
from workspace_sim.errors import ApiError
from workspace_sim.testing import running_simulator

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def products(sim, **kwargs):
    return signed(sim, "GET", v2(sim, "/volume/products"), **kwargs)


def test_a_status_fault_answers_the_next_n_calls_with_that_status_body_and_headers(sim):
    body = {"error_code": "WKS.0001", "error_msg": "busy"}
    sim.inject_fault(
        "ListVolumeProductInfo", "status", count=2, status=503, body=body,
        headers={"Retry-After": "7"},
    )  # fmt: skip

    faulted = [products(sim) for _ in range(2)]
    normal = products(sim)

    assert [(r.status_code, r.json(), r.headers["Retry-After"]) for r in faulted] == [
        (503, body, "7")
    ] * 2
    assert normal.status_code == 200
    assert [e["fault"] for e in sim.requests_log()] == ["status", "status", None]


def test_the_sdk_sees_a_status_fault_as_a_server_error(sim, sdk):
    sim.inject_fault("ListVolumeProductInfo", "status", status=500)

    with pytest.raises(ServerResponseException) as caught:
        sdk.list_volume_product_info(ListVolumeProductInfoRequest())

    assert (caught.value.status_code, caught.value.error_code) == (500, "WKS.SIM0900")


def test_a_fault_touches_only_its_operation(sim):
    sim.inject_fault("ShowJob", "status", status=500)

    assert products(sim).status_code == 200
    assert sim.requests_log()[-1]["fault"] is None


def test_a_stall_answers_normally_after_the_delay(sim):
    sim.inject_fault("ListVolumeProductInfo", "stall", seconds=0.3)

    started = time.monotonic()
    response = products(sim)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert sim.requests_log()[-1]["duration_ms"] >= 300


def test_a_stall_outlasts_a_client_timeout_and_the_server_keeps_serving(sim):
    sim.inject_fault("ListVolumeProductInfo", "stall", seconds=2)

    with pytest.raises(requests.Timeout):
        products(sim, timeout=0.2)

    assert products(sim).status_code == 200


def test_stopping_the_simulator_cuts_a_stall_short():
    started = time.monotonic()
    with running_simulator() as sim:
        sim.inject_fault("ListVolumeProductInfo", "stall", seconds=60)
        with pytest.raises(requests.Timeout):
            products(sim, timeout=0.2)

    assert time.monotonic() - started < 5


def test_a_drop_closes_the_connection_without_an_answer(sim):
    sim.inject_fault("ListVolumeProductInfo", "drop")

    with pytest.raises(requests.ConnectionError):
        products(sim)

    assert products(sim).status_code == 200
    assert sim.requests_log()[0]["fault"] == "drop"


def test_malformed_answers_200_with_broken_json(sim):
    sim.inject_fault("ListVolumeProductInfo", "malformed")

    response = products(sim)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_html_answers_an_error_page(sim):
    sim.inject_fault("ListVolumeProductInfo", "html")
    sim.inject_fault("ListVolumeProductInfo", "html", status=504)

    first, second = products(sim), products(sim)

    assert first.status_code == 502
    assert first.headers["Content-Type"].startswith("text/html")
    assert "<html>" in first.text
    assert second.status_code == 504


def test_empty_answers_without_a_body(sim):
    sim.inject_fault("ListVolumeProductInfo", "empty")

    response = products(sim)

    assert (response.status_code, response.content) == (200, b"")


def test_iam_and_unknown_paths_can_be_faulted_too(sim):
    sim.inject_fault("KeystoneCreateUserTokenByPassword", "status", status=503)
    sim.inject_fault("Unknown", "status", status=429)

    assert requests.post(f"{sim.url}/v3/auth/tokens", json={}, timeout=5).status_code == 503
    assert requests.get(f"{sim.url}/nowhere", timeout=5).status_code == 429


def test_faults_through_the_control_endpoint(sim):
    payload = {"operation": "ListVolumeProductInfo", "kind": "status", "count": 3, "status": 429}

    added = requests.post(f"{sim.url}/_sim/faults", json=payload, timeout=5)
    listed = requests.get(f"{sim.url}/_sim/faults", timeout=5).json()["faults"]
    faulted = products(sim).status_code
    cleared = requests.delete(f"{sim.url}/_sim/faults", timeout=5)

    assert added.status_code == 200
    assert listed[0]["count"] == 3
    assert faulted == 429
    assert cleared.status_code == 200
    assert products(sim).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"operation": "Nope", "kind": "status"},
        {"operation": "ShowJob", "kind": "explode"},
        {"operation": "ShowJob", "kind": "status", "count": 0},
        {"operation": "ShowJob", "kind": "status", "status": 99},
        {"operation": "ShowJob", "kind": "status", "headers": {"Content-Length": "1"}},
        {"operation": "ShowJob", "kind": "stall", "seconds": "long"},
    ],
)
def test_a_bad_fault_is_refused(sim, payload):
    response = requests.post(f"{sim.url}/_sim/faults", json=payload, timeout=5)

    assert response.status_code == 400
    assert response.json()["error_code"] == "WKS.SIM0101"
    with pytest.raises(ApiError):
        sim.inject_fault(**{"kind": "status", **payload})
