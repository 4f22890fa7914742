"""The in-process harness: fast to start, independent instances, nothing left behind."""

import socket
import threading
import time

import pytest
import requests

from tests.sim.conftest import find_desktop, signed, v2
from workspace_sim.testing import running_simulator


def test_it_starts_in_well_under_a_second():
    started = time.perf_counter()
    with running_simulator() as sim:
        elapsed = time.perf_counter() - started
        assert requests.get(f"{sim.url}/_sim/health", timeout=5).status_code == 200

    assert elapsed < 0.5


def test_it_uses_the_demo_defaults_on_a_free_port():
    with running_simulator() as sim:
        assert sim.config.port != 8001
        assert sim.url == f"http://127.0.0.1:{sim.config.port}"
        assert sim.config.ak == "WSDEMOAK0SIMULATOR01"
        assert sim.config.project_id == "7d5c2a9e4b1f4c3a8e6d0b2f9a1c3e5d"


def test_two_simulators_are_independent():
    with running_simulator() as first, running_simulator() as second:
        desktop_id = find_desktop(first)["desktop_id"]
        first.patch_desktop(desktop_id, status="ERROR")

        assert first.url != second.url
        assert second.desktop(desktop_id)["status"] == "ACTIVE"


def test_it_leaves_no_thread_or_listening_socket_behind():
    before = set(threading.enumerate())
    session = requests.Session()
    with running_simulator() as sim:
        port = sim.config.port
        # A pooled keep-alive connection and a stalled call are both open at exit.
        assert signed(sim, "GET", v2(sim, "/volume/products")).status_code == 200
        session.get(f"{sim.url}/_sim/health", timeout=5)
        sim.inject_fault("ListVolumeProductInfo", "stall", seconds=30)
        with pytest.raises(requests.Timeout):
            signed(sim, "GET", v2(sim, "/volume/products"), timeout=0.1)
    session.close()

    assert set(threading.enumerate()) <= before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
