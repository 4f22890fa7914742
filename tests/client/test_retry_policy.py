"""Retry and error-mapping decisions, driven by a scripted adapter (no network, no waiting)."""

import socket

import pytest
import requests
from urllib3.exceptions import NewConnectionError, ProtocolError

from disks.client import (
    VolumeSpec,
    WorkspaceBadResponse,
    WorkspaceClient,
    WorkspaceRefused,
    WorkspaceUnavailable,
)

from .capture import scripted_session

PROJECT = "0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d"
JOB = {"id": "j-1", "status": "RUNNING", "sub_jobs": []}
ADDED = {"job_id": "j-1"}


def make_client(*steps, retries=3, endpoint="http://workspace.test"):
    session, adapter = scripted_session(*steps)
    sleeps: list[float] = []
    client = WorkspaceClient(
        endpoint,
        PROJECT,
        ak="AK",
        sk="SK",
        session=session,
        sleep=sleeps.append,
        get_retries=retries,
        retry_backoff=0.5,
    )
    return client, adapter, sleeps


def add_disk(client):
    return client.add_desktop_volumes("d-1", [VolumeSpec("SAS", 10)])


def never_sent():
    return requests.ConnectionError(NewConnectionError(None, "Connection refused"))


def dropped():
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


def test_it_backs_off_exponentially_then_gives_up_on_a_get():
    client, adapter, sleeps = make_client(*[(503, {})] * 4)

    with pytest.raises(WorkspaceUnavailable) as caught:
        client.show_job("j-1")

    assert len(adapter.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert caught.value.status == 503
    assert caught.value.outcome_unknown is False


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_it_retries_a_get_on_throttling_and_gateway_errors(status):
    client, adapter, _ = make_client((status, {}), (200, JOB))

    assert client.show_job("j-1").status == "RUNNING"
    assert len(adapter.requests) == 2


def test_it_does_not_retry_a_get_on_500():
    client, adapter, _ = make_client((500, {"error_code": "WKS.0500", "error_msg": "boom"}))

    with pytest.raises(WorkspaceUnavailable) as caught:
        client.show_job("j-1")

    assert len(adapter.requests) == 1
    assert caught.value.error_code == "WKS.0500"


def test_it_honours_retry_after_capped_at_thirty_seconds():
    client, _, sleeps = make_client(
        (429, {}, {"Retry-After": "7"}), (503, {}, {"Retry-After": "3600"}), (200, JOB)
    )

    client.show_job("j-1")

    assert sleeps == [7.0, 30.0]


def test_it_reads_retry_after_given_as_a_date():
    client, _, sleeps = make_client(
        (503, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), (200, JOB)
    )

    client.show_job("j-1")

    assert sleeps == [0.0]


def test_the_final_error_carries_retry_after():
    client, _, _ = make_client((429, {}, {"Retry-After": "12"}), retries=0)

    with pytest.raises(WorkspaceUnavailable) as caught:
        client.show_job("j-1")

    assert caught.value.retry_after == 12.0
    assert caught.value.status == 429


def test_it_retries_a_get_after_a_dropped_connection_or_read_timeout():
    client, adapter, _ = make_client(dropped(), requests.ReadTimeout(), (200, JOB))

    assert client.show_job("j-1").id == "j-1"
    assert len(adapter.requests) == 3


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_it_never_retries_a_post_on_an_error_status(status):
    client, adapter, sleeps = make_client((status, {}))

    with pytest.raises(WorkspaceUnavailable) as caught:
        add_disk(client)

    assert len(adapter.requests) == 1
    assert sleeps == []
    assert caught.value.outcome_unknown is (status >= 500)


@pytest.mark.parametrize("failure", [requests.ReadTimeout, dropped])
def test_a_post_that_may_have_arrived_is_not_retried_and_its_outcome_is_unknown(failure):
    client, adapter, _ = make_client(failure())

    with pytest.raises(WorkspaceUnavailable) as caught:
        add_disk(client)

    assert len(adapter.requests) == 1
    assert caught.value.outcome_unknown is True


@pytest.mark.parametrize("failure", [requests.ConnectTimeout, never_sent])
def test_a_post_is_retried_when_the_connection_was_never_opened(failure):
    client, adapter, _ = make_client(failure(), (200, ADDED))

    assert add_disk(client).job_id == "j-1"
    assert len(adapter.requests) == 2


def test_a_refused_connection_is_unavailable_with_a_clear_message():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WorkspaceClient(
        f"http://127.0.0.1:{port}", PROJECT, ak="AK", sk="SK", sleep=lambda _: None
    )

    with pytest.raises(WorkspaceUnavailable) as caught:
        add_disk(client)

    assert caught.value.outcome_unknown is False
    assert caught.value.human_message.startswith(
        f"Could not reach the Workspace API at http://127.0.0.1:{port}: connection failed"
    )


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"error_code": "WKS.0407", "error_msg": "Disks are being added."}, "WKS.0407"),
        ({"errorCode": "WKS.1", "errorMsg": "camel"}, "WKS.1"),
        ({"code": "APIGW.0301", "message": "verify aksk signature fail"}, "APIGW.0301"),
        ({"error": {"code": 401, "message": "The username or password is wrong."}}, "401"),
    ],
)
def test_it_reads_every_error_body_shape_the_sdk_accepts(body, expected):
    client, _, _ = make_client((400, body))

    with pytest.raises(WorkspaceRefused) as caught:
        client.show_job("j-1")

    assert caught.value.error_code == expected
    assert caught.value.error_msg


def test_it_keeps_all_error_fields_and_the_request_id():
    body = {
        "error_code": "WKS.0403",
        "error_msg": "denied",
        "error_detail": "policy",
        "encoded_authorization_message": "enc-msg",
    }
    client, _, _ = make_client((403, body, {"X-Request-Id": "req-9"}))

    with pytest.raises(WorkspaceRefused) as caught:
        client.show_job("j-1")

    error = caught.value
    assert (error.status, error.error_code, error.error_msg) == (403, "WKS.0403", "denied")
    assert (error.error_detail, error.encoded_authorization_message) == ("policy", "enc-msg")
    assert error.request_id == "req-9"


def test_a_gateway_error_names_its_request_id_in_the_body():
    body = {"error_code": "APIGW.0301", "error_msg": "x", "request_id": "gw-1"}
    client, _, _ = make_client((401, body))

    with pytest.raises(WorkspaceRefused) as caught:
        client.show_job("j-1")

    assert caught.value.request_id == "gw-1"


@pytest.mark.parametrize(
    "status, body, problem",
    [
        (200, b"", "empty body"),
        (200, b"<html><body>Bad gateway</body></html>", "HTML page"),
        (200, b'{"job_id": ', "malformed JSON"),
        (200, b"[1, 2]", "not a JSON object"),
        (302, b"", "empty body"),
        (301, {"job_id": "j"}, "unexpected redirect"),
    ],
)
def test_an_unreadable_answer_is_a_bad_response(status, body, problem):
    client, _, _ = make_client((status, body))

    with pytest.raises(WorkspaceBadResponse) as caught:
        add_disk(client)

    assert problem in caught.value.human_message
    assert caught.value.outcome_unknown is True


def test_a_missing_required_field_is_a_bad_response():
    client, _, _ = make_client((200, {"jobid": "j-1"}))

    with pytest.raises(WorkspaceBadResponse) as caught:
        add_disk(client)

    assert "job_id" in caught.value.human_message


def test_an_error_page_with_a_4xx_status_is_still_refused():
    client, _, _ = make_client((404, b"<html>Not Found</html>"))

    with pytest.raises(WorkspaceRefused) as caught:
        client.show_desktop_detail("d-1")

    assert caught.value.status == 404
    assert caught.value.error_code is None


@pytest.mark.parametrize("bad_id", ["", ".", ".."])
def test_it_refuses_ids_that_would_change_the_path(bad_id):
    client, adapter, _ = make_client()

    with pytest.raises(ValueError, match="not a usable id"):
        client.show_desktop_detail(bad_id)

    assert adapter.requests == []
