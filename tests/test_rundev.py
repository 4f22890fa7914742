"""`make run`'s command starts the simulator, the worker and the dashboard; a signal stops all."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.factories import REPO_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def children_of(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in result.stdout.split()]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_rundev_serves_and_stops_everything_it_started(tmp_path, stop_signal):
    web, sim = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "true",
        "ENV_FILE": os.devnull,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "WORKSPACE_ENDPOINT": f"http://127.0.0.1:{sim}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundev", "--addr", f"127.0.0.1:{web}"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert b'"status": "ok"' in wait_for(f"http://127.0.0.1:{web}/healthz")
        assert b"Sign in" in wait_for(f"http://127.0.0.1:{web}/accounts/login/")
        started = children_of(process.pid)
        assert len(started) == 3, "simulator, worker and dashboard"
        process.send_signal(stop_signal)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "helen.helpdesk / helpdesk-demo-pass" in output
    assert "Synced 54 desktops" in output
    time.sleep(0.5)
    alive = [pid for pid in started if os.path.exists(f"/proc/{pid}")]
    assert not alive, f"left running: {alive}"
