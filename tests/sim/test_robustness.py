"""Malformed requests get a 4xx with an error body, never a 500, and the server keeps serving."""

import json
import socket

import pytest
import requests

from tests.sim.conftest import find_desktop, signed, v2


@pytest.fixture
def add_url(sim):
    return v2(sim, f"/desktops/{find_desktop(sim, disks=0)['desktop_id']}/volumes")


def assert_still_serving(sim):
    assert signed(sim, "GET", v2(sim, "/volume/products")).status_code == 200


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error_code"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "WKS.0001"),
        (b"   ", "WKS.0001"),
        (b"{not json", "WKS.SIM0100"),
        (b"\xff\xfe\x00", "WKS.SIM0100"),
        (b"[1, 2]", "WKS.SIM0100"),
        (b'"volumes"', "WKS.SIM0100"),
        (b"[" * 100_000 + b"]" * 100_000, "WKS.SIM0100"),
    ],
    ids=["empty", "blank", "not-json", "not-utf8", "array", "string", "deeply-nested"],
)
def test_a_body_that_is_not_a_json_object_is_refused(sim, add_url, raw, code):
    assert error_of(signed(sim, "POST", add_url, raw=raw)) == (400, code)
    assert_still_serving(sim)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"volumes": None},
        {"volumes": "SAS"},
        {"volumes": {"type": "SAS", "size": 10}},
        {"volumes": [1]},
        {"volumes": [{"size": 10}]},
        {"volumes": [{"type": "SAS"}]},
        {"volumes": [{"type": "SAS", "size": "10"}]},
        {"volumes": [{"type": "SAS", "size": 10.5}]},
        {"volumes": [{"type": "SAS", "size": True}]},
        {"volumes": [{"type": 5, "size": 10}]},
        {"volumes": [{"type": "", "size": 10}]},
        {"volumes": [{"type": "SAS", "size": 10, "kms_id": 7}]},
        {"volumes": [{"type": "GPSSD2", "size": 10, "iops": -1, "throughput": 1}]},
        {"volumes": [{"type": "SAS", "size": 10}], "enterprise_project_id": 0},
        {"volumes": [{"type": "SAS", "size": 10}], "enterprise_project_id": "x" * 37},
    ],
)
def test_wrong_types_and_missing_fields_are_refused(sim, add_url, body):
    assert error_of(signed(sim, "POST", add_url, body=body)) == (400, "WKS.SIM0101")
    assert not sim.state.jobs


def test_huge_arrays_are_refused(sim, add_url):
    volumes = [{"type": "SAS", "size": 10}] * 1000
    batch = [{"desktop_id": f"d{n}", "volumes": volumes[:1]} for n in range(1000)]

    assert error_of(signed(sim, "POST", add_url, body={"volumes": volumes})) == (
        400,
        "WKS.SIM0104",
    )
    assert error_of(signed(sim, "POST", v2(sim, "/volumes"), body={"desktop_volumes": batch})) == (
        400,
        "WKS.SIM0104",
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"desktop_volumes": "all"},
        {"desktop_volumes": [7]},
        {"desktop_volumes": [{"volumes": [{"type": "SAS", "size": 10}]}]},
        {"desktop_volumes": [{"desktop_id": 5, "volumes": [{"type": "SAS", "size": 10}]}]},
    ],
)
def test_a_malformed_batch_is_refused(sim, body):
    assert error_of(signed(sim, "POST", v2(sim, "/volumes"), body=body)) == (400, "WKS.SIM0101")


def test_a_batch_naming_one_desktop_twice_is_refused(sim):
    desktop_id = find_desktop(sim, disks=0)["desktop_id"]
    item = {"desktop_id": desktop_id, "volumes": [{"type": "SAS", "size": 10}]}

    response = signed(sim, "POST", v2(sim, "/volumes"), body={"desktop_volumes": [item, item]})

    assert error_of(response) == (400, "WKS.SIM0108")


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=5000",
        "offset=-1",
        "status=ASLEEP",
        "sort_type=UP",
        "limit=" + "9" * 5000,
    ],
)
def test_bad_query_parameters_are_refused(sim, query):
    response = signed(sim, "GET", v2(sim, f"/desktops/detail?{query}"))

    assert error_of(response) == (400, "WKS.SIM0107")


def test_an_unknown_path_is_a_404(sim):
    assert error_of(signed(sim, "GET", v2(sim, "/no/such/thing"))) == (404, "APIGW.0101")
    assert error_of(requests.get(f"{sim.url}/", timeout=5)) == (404, "APIGW.0101")
    assert sim.requests_log()[-1]["operation"] == "Unknown"


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH", "BREW"])
def test_a_wrong_method_is_a_405_naming_the_allowed_ones(sim, method):
    response = signed(sim, method, v2(sim, "/desktops/detail"))

    assert error_of(response) == (405, "WKS.SIM0402")
    assert response.headers["Allow"] == "GET"


def test_head_gets_headers_only_and_the_connection_stays_usable(sim):
    with requests.Session() as session:
        head = session.head(v2(sim, "/desktops/detail"), timeout=5)
        after = session.get(f"{sim.url}/_sim/health", timeout=5)

    assert head.status_code == 405
    assert head.content == b""
    assert after.status_code == 200


def raw_exchange(sim, data: bytes) -> tuple[int, dict]:
    """Send raw bytes, return (status, JSON body) of the answer."""
    with socket.create_connection(("127.0.0.1", sim.config.port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"POST /v2/p/volumes HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST /v2/p/volumes HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"POST /v2/p/volumes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
    ],
    ids=["no-version", "http2", "huge-header", "bad-length", "too-long", "chunked"],
)
def test_broken_http_gets_a_json_4xx(sim, data, status):
    got, body = raw_exchange(sim, data)

    assert got == status
    assert body["error_code"] == "WKS.SIM0403"
    assert_still_serving(sim)


def test_keep_alive_survives_errors(sim, add_url):
    with requests.Session() as session:
        statuses = [
            session.post(add_url, data=b"{bad", timeout=5).status_code,
            session.get(f"{sim.url}/nowhere", timeout=5).status_code,
            session.get(f"{sim.url}/_sim/health", timeout=5).status_code,
        ]

    assert statuses == [401, 404, 200]


def test_every_response_carries_a_fresh_request_id(sim):
    ids = {requests.get(f"{sim.url}/x", timeout=5).headers["X-Request-Id"] for _ in range(3)}

    assert len(ids) == 3
    assert all(len(value) == 32 for value in ids)
