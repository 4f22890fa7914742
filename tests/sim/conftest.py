"""Fixtures for the simulator's tests: a running simulator, the official SDK client, helpers."""

import json
import time

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkworkspace.v2 import WorkspaceClient

from workspace_sim import signing
from workspace_sim.testing import RunningSimulator, running_simulator


class FakeClock:
    """A clock tests move by hand; starts at the real time so signatures stay fresh."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim():
    with running_simulator(speed=200) as running:
        yield running


@pytest.fixture
def clock(sim: RunningSimulator) -> FakeClock:
    fake = FakeClock()
    sim.state.clock = fake
    return fake


def sdk_client(sim: RunningSimulator, *, sk: str | None = None) -> WorkspaceClient:
    config = sim.config
    credentials = BasicCredentials(config.ak, sk or config.sk, config.project_id)
    return (
        WorkspaceClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([sim.url])
        .build()
    )


@pytest.fixture
def sdk(sim: RunningSimulator) -> WorkspaceClient:
    return sdk_client(sim)


def find_desktop(sim: RunningSimulator, *, status="ACTIVE", disks=None, task_status="") -> dict:
    """The first seed desktop with that status, task_status and (if given) data-disk count."""
    for desktop in sim.state.desktops.values():
        if desktop["status"] != status or desktop["task_status"] != task_status:
            continue
        if disks is None or len(desktop["data_volumes"]) == disks:
            return desktop
    raise LookupError(f"no seed desktop with status={status} disks={disks} task={task_status}")


def v2(sim: RunningSimulator, path: str) -> str:
    return f"{sim.url}/v2/{sim.config.project_id}{path}"


def signed(
    sim: RunningSimulator,
    method: str,
    url: str,
    *,
    body: object = None,
    raw: bytes | None = None,
    **kwargs,
) -> requests.Response:
    """Send a request signed with the simulator's AK/SK, as the SDK would."""
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    headers = signing.sign(
        method,
        url,
        ak=sim.config.ak,
        sk=sim.config.sk,
        headers={"Content-Type": "application/json"},
        body=data,
    )
    timeout = kwargs.pop("timeout", 10)
    return requests.request(method, url, headers=headers, data=data, timeout=timeout, **kwargs)


def wait_for_job(sim: RunningSimulator, job_id: str, timeout: float = 10.0) -> dict:
    """Poll the job (through the harness) until it is terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sim.job(job_id)
        if job["status"] in ("SUCCESS", "FAIL"):
            return job
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} did not end within {timeout}s")
