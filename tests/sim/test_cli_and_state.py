"""The command line, --seed, and --state persistence across restarts."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.sim.conftest import find_desktop, signed, v2, wait_for_job
from workspace_sim.__main__ import parse_args
from workspace_sim.config import SimConfig
from workspace_sim.testing import running_simulator

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workspace_sim", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_help_lists_every_option_with_its_demo_default():
    out = subprocess.run(
        [sys.executable, "-m", "workspace_sim", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    defaults = SimConfig()
    for option, value in [
        ("--host", defaults.host),
        ("--port", defaults.port),
        ("--project-id", defaults.project_id),
        ("--ak", defaults.ak),
        ("--sk", defaults.sk),
        ("--iam-user", defaults.iam_user),
        ("--iam-password", defaults.iam_password),
        ("--iam-domain", defaults.iam_domain),
        ("--seed", "seed.json"),
        ("--state", "None"),
        ("--speed", "1.0"),
        ("--quota-volumes", defaults.quota_volumes),
        ("--quota-gigabytes", defaults.quota_gigabytes),
    ]:
        line = next(line for line in out.splitlines() if line.strip().startswith(option + " "))
        assert "(default: " in line and str(value) in line, line


def test_the_cli_serves_until_sigterm():
    process = run_cli("--port", "0", "--quiet", "--speed", "3")
    try:
        banner = process.stdout.readline()
        url = banner.split(" on ")[1].split(" ")[0]
        health = requests.get(f"{url}/_sim/health", timeout=5)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()

    assert health.json()["project_id"] == SimConfig().project_id
    assert code == 0


def test_the_cli_refuses_a_corrupt_state_file(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{broken")

    process = run_cli("--port", "0", "--state", str(state))
    _, err = process.communicate(timeout=30)

    assert process.returncode == 2
    assert "cannot load simulator state" in err


def test_the_cli_refuses_a_non_positive_speed():
    process = run_cli("--speed", "0")
    _, err = process.communicate(timeout=30)

    assert process.returncode == 2
    assert "--speed" in err


def test_the_cli_passes_the_quotas_on():
    config = parse_args(["--quota-volumes", "12", "--quota-gigabytes", "-1"])

    assert (config.quota_volumes, config.quota_gigabytes) == (12, -1)


def test_the_cli_refuses_a_quota_below_minus_one():
    with pytest.raises(SystemExit):
        parse_args(["--quota-volumes", "-2"])


def test_state_survives_a_restart(tmp_path):
    state_path = tmp_path / "state.json"
    with running_simulator(state_path=state_path, speed=200) as sim:
        desktop_id = find_desktop(sim, disks=0)["desktop_id"]
        url = v2(sim, f"/desktops/{desktop_id}/volumes")
        job_id = signed(sim, "POST", url, body={"volumes": [{"type": "SSD", "size": 30}]}).json()[
            "job_id"
        ]
        wait_for_job(sim, job_id)
        sim.patch_desktop(find_desktop(sim, disks=1)["desktop_id"], status="ERROR")
        sim.fail_next_job("WKS.X", "later")
        volumes_before = sim.desktop(desktop_id)["data_volumes"]
        errors_before = sum(d["status"] == "ERROR" for d in sim.state.desktops.values())

    with running_simulator(state_path=state_path, speed=200) as sim:
        assert sim.desktop(desktop_id)["data_volumes"] == volumes_before
        assert sum(d["status"] == "ERROR" for d in sim.state.desktops.values()) == errors_before
        assert sim.job(job_id)["status"] == "SUCCESS"
        other = find_desktop(sim, disks=0)["desktop_id"]
        url = v2(sim, f"/desktops/{other}/volumes")
        second = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]})
        assert wait_for_job(sim, second.json()["job_id"])["job_error_code"] == "WKS.X"


def test_a_job_running_at_shutdown_carries_on_after_a_restart(tmp_path):
    state_path = tmp_path / "state.json"
    with running_simulator(state_path=state_path, speed=20) as sim:
        desktop_id = find_desktop(sim, disks=0)["desktop_id"]
        url = v2(sim, f"/desktops/{desktop_id}/volumes")
        job_id = signed(sim, "POST", url, body={"volumes": [{"type": "SAS", "size": 10}]}).json()[
            "job_id"
        ]

    saved = json.loads(state_path.read_text())
    assert [job["id"] for job in saved["jobs"]] == [job_id]
    with running_simulator(state_path=state_path, speed=20) as sim:
        assert sim.desktop(desktop_id)["task_status"] == "addingVolumes"
        assert wait_for_job(sim, job_id)["status"] == "SUCCESS"
        assert len(sim.desktop(desktop_id)["data_volumes"]) == 1


def test_a_custom_seed_replaces_the_desktops(tmp_path):
    seed = json.loads((REPO_ROOT / "workspace_sim" / "seed.json").read_text())
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps({"desktops": seed["desktops"][:2]}))

    with running_simulator(seed_path=seed_path) as sim:
        listing = signed(sim, "GET", v2(sim, "/desktops/detail")).json()

    assert listing["total_count"] == 2


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_the_state_file_is_replaced_atomically(tmp_path):
    state_path = tmp_path / "state.json"
    with running_simulator(state_path=state_path) as sim:
        sim.patch_desktop(find_desktop(sim)["desktop_id"], status="SHUTOFF")

    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    assert json.loads(state_path.read_text())["format"] == "workspace_sim.state/1"
