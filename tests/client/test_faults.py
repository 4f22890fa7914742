"""Every error status and fault the simulator can inject, over real HTTP."""

import time

import pytest

from disks.client import (
    VolumeSpec,
    WorkspaceBadResponse,
    WorkspaceRefused,
    WorkspaceUnavailable,
)

SHORT_READ = (2.0, 0.5)


def calls(simulator, operation):
    return len(simulator.requests_log(operation))


def wait_for_calls(simulator, operation, expected, seconds=5.0):
    """Wait until the simulator has logged `expected` calls (a stalled call logs when it ends)."""
    deadline = time.monotonic() + seconds
    while calls(simulator, operation) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return calls(simulator, operation)


@pytest.mark.parametrize(
    "status, kind, text",
    [
        (400, WorkspaceRefused, "refused the request: Injected fault: 400."),
        (401, WorkspaceRefused, "rejected the credentials"),
        (403, WorkspaceRefused, "no permission"),
        (404, WorkspaceRefused, "desktop was not found"),
        (409, WorkspaceRefused, "conflicts with the desktop's current state"),
        (500, WorkspaceUnavailable, "internal error"),
    ],
)
def test_each_documented_status_on_a_get(make_client, simulator, idle_desktop, status, kind, text):
    simulator.inject_fault("ShowDesktopDetail", "status", status=status, count=2)

    with pytest.raises(kind) as caught:
        make_client().show_desktop_detail(idle_desktop)

    error = caught.value
    assert (error.status, error.error_code) == (status, "WKS.SIM0900")
    assert text in error.human_message
    assert error.request_id
    assert error.outcome_unknown is False
    assert calls(simulator, "ShowDesktopDetail") == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500])
def test_each_documented_status_on_a_post(make_client, simulator, idle_desktop, status):
    simulator.inject_fault("AddDesktopVolumes", "status", status=status)

    with pytest.raises((WorkspaceRefused, WorkspaceUnavailable)) as caught:
        make_client().add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert caught.value.status == status
    assert caught.value.outcome_unknown is (status == 500)
    assert calls(simulator, "AddDesktopVolumes") == 1


def test_a_get_503_then_success_succeeds_on_the_second_attempt(
    client, simulator, idle_desktop, sleeps
):
    simulator.inject_fault("ShowDesktopDetail", "status", status=503)

    assert client.show_desktop_detail(idle_desktop).desktop_id == idle_desktop
    assert [e["status"] for e in simulator.requests_log("ShowDesktopDetail")] == [503, 200]
    assert sleeps == [0.5]


def test_a_get_gives_up_after_its_retries(make_client, simulator, idle_desktop, sleeps):
    simulator.inject_fault("ShowDesktopDetail", "status", status=502, count=10)

    with pytest.raises(WorkspaceUnavailable) as caught:
        make_client(get_retries=2).show_desktop_detail(idle_desktop)

    assert caught.value.status == 502
    assert calls(simulator, "ShowDesktopDetail") == 3
    assert sleeps == [0.5, 1.0]


def test_retry_after_is_honoured(make_client, simulator, idle_desktop, sleeps):
    simulator.inject_fault("ShowDesktopDetail", "status", status=429, headers={"Retry-After": "3"})

    make_client().show_desktop_detail(idle_desktop)

    assert sleeps == [3.0]


def test_a_post_is_not_retried_on_503(make_client, simulator, idle_desktop, sleeps):
    simulator.inject_fault("AddDesktopVolumes", "status", status=503)

    with pytest.raises(WorkspaceUnavailable) as caught:
        make_client().add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert caught.value.outcome_unknown is True
    assert calls(simulator, "AddDesktopVolumes") == 1
    assert sleeps == []


def test_a_dropped_post_is_sent_once_and_its_outcome_is_unknown(client, simulator, idle_desktop):
    simulator.inject_fault("AddDesktopVolumes", "drop")

    with pytest.raises(WorkspaceUnavailable) as caught:
        client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert caught.value.outcome_unknown is True
    assert "Could not reach the Workspace API at http://127.0.0.1:" in caught.value.human_message
    assert calls(simulator, "AddDesktopVolumes") == 1


def test_a_dropped_get_is_retried(client, simulator, idle_desktop):
    simulator.inject_fault("ShowDesktopDetail", "drop")

    assert client.show_desktop_detail(idle_desktop).desktop_id == idle_desktop
    assert calls(simulator, "ShowDesktopDetail") == 2


def test_a_stalled_get_times_out_then_is_retried(make_client, simulator, idle_desktop):
    simulator.inject_fault("ShowDesktopDetail", "stall", seconds=1.5)

    desktop = make_client(timeout=SHORT_READ).show_desktop_detail(idle_desktop)

    assert desktop.desktop_id == idle_desktop
    assert wait_for_calls(simulator, "ShowDesktopDetail", 2) == 2


def test_a_get_that_keeps_stalling_is_unavailable(make_client, simulator, idle_desktop):
    simulator.inject_fault("ShowDesktopDetail", "stall", seconds=1.0, count=2)

    with pytest.raises(WorkspaceUnavailable) as caught:
        make_client(timeout=SHORT_READ, get_retries=1).show_desktop_detail(idle_desktop)

    assert "timed out" in caught.value.human_message
    assert caught.value.outcome_unknown is False


def test_a_stalled_post_is_sent_once_and_its_outcome_is_unknown(
    make_client, simulator, idle_desktop
):
    simulator.inject_fault("AddDesktopVolumes", "stall", seconds=1.0)

    with pytest.raises(WorkspaceUnavailable) as caught:
        make_client(timeout=SHORT_READ).add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert caught.value.outcome_unknown is True
    assert "timed out" in caught.value.human_message
    time.sleep(1.2)
    # The stalled call did arrive and was applied: exactly why the outcome is "unknown".
    assert calls(simulator, "AddDesktopVolumes") == 1


@pytest.mark.parametrize(
    "kind, problem",
    [("malformed", "malformed JSON"), ("html", "HTML page"), ("empty", "empty body")],
)
def test_an_unreadable_answer_to_a_get(make_client, simulator, idle_desktop, kind, problem):
    simulator.inject_fault("ShowDesktopDetail", kind, status=200)

    with pytest.raises(WorkspaceBadResponse) as caught:
        make_client().show_desktop_detail(idle_desktop)

    assert problem in caught.value.human_message
    assert caught.value.outcome_unknown is False


@pytest.mark.parametrize("kind", ["malformed", "html", "empty"])
def test_an_unreadable_answer_to_a_post_leaves_the_outcome_unknown(
    client, simulator, idle_desktop, kind
):
    simulator.inject_fault("AddDesktopVolumes", kind, status=200)

    with pytest.raises(WorkspaceBadResponse) as caught:
        client.add_desktop_volumes(idle_desktop, [VolumeSpec("SAS", 10)])

    assert caught.value.outcome_unknown is True
    assert calls(simulator, "AddDesktopVolumes") == 1


def test_a_proxys_html_502_page_is_retried_for_a_get(client, simulator, idle_desktop):
    simulator.inject_fault("ListDesktopsDetail", "html")

    assert client.list_desktops_detail(limit=5).desktops
    assert [e["status"] for e in simulator.requests_log("ListDesktopsDetail")] == [502, 200]


def test_a_proxys_html_error_page_is_a_clear_error(make_client, simulator):
    simulator.inject_fault("ListVolumeProductInfo", "html", status=500)

    with pytest.raises(WorkspaceUnavailable) as caught:
        make_client().list_volume_product_info()

    assert caught.value.status == 500
    assert "internal error" in caught.value.human_message
