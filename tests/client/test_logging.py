"""One log line per call, and never a secret in any log."""

import logging
import re

import pytest

from disks.client import VolumeSpec, WorkspaceError

SECURITY_TOKEN = "temporary-security-token-0123456789"
LINE = re.compile(
    r"^workspace call operation=\w+ method=(GET|POST) path=/\S+ status=\w+ "
    r"duration_ms=\d+ request_id=\S+ attempt=\d+$"
)


def exercise_everything(client, simulator, desktop_id):
    """Call every operation, plus a retry, a token renewal, a refusal and a dropped POST."""
    client.list_desktops_detail(limit=5, user_name="alice")
    client.show_desktop_detail(desktop_id)
    client.list_volume_product_info(volume_type="SAS")
    added = client.add_desktop_volumes(desktop_id, [VolumeSpec("SAS", 10)])
    client.show_job(added.job_id)
    client.list_ita_sub_jobs(job_id=added.job_id)
    simulator.inject_fault("ShowDesktopDetail", "status", status=503)
    client.show_desktop_detail(desktop_id)
    if client.auth_mode == "token":
        simulator.inject_fault("ShowJob", "status", status=401, count=1)
        client.show_job(added.job_id)
    with pytest.raises(WorkspaceError):
        client.show_desktop_detail("no-such-desktop")
    simulator.inject_fault("AddVolumes", "drop")
    with pytest.raises(WorkspaceError):
        client.add_volumes({desktop_id: [VolumeSpec("SAS", 10)]})


def debug_everywhere(caplog):
    """Capture DEBUG from every logger, overriding levels the settings set (urllib3's)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def record_secrets(client, seen: set[str]):
    """Collect every token and signature the client sends or receives."""

    def hook(response, *args, **kwargs):
        headers = response.request.headers
        seen.add(headers.get("X-Auth-Token", ""))
        seen.add(headers.get("Authorization", "").rpartition("Signature=")[2])
        seen.add(response.headers.get("X-Subject-Token", ""))

    client.session.hooks["response"].append(hook)


@pytest.mark.parametrize("mode", ["aksk", "token"])
def test_no_secret_reaches_any_log(make_client, simulator, idle_desktop, caplog, mode):
    extra = {"security_token": SECURITY_TOKEN} if mode == "aksk" else {}
    client = make_client(mode, **extra)
    seen: set[str] = set()
    record_secrets(client, seen)
    debug_everywhere(caplog)

    exercise_everything(client, simulator, idle_desktop)

    config = simulator.config
    sent = {s for s in seen if s}
    assert len(sent) >= (2 if mode == "token" else 5)
    secrets = {config.ak, config.sk, config.iam_password, SECURITY_TOKEN} | sent
    text = caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    assert [secret for secret in secrets if secret in text] == []
    assert "urllib3" in {r.name.split(".")[0] for r in caplog.records}


def test_one_line_per_http_attempt_with_the_call_facts(
    make_client, simulator, idle_desktop, caplog
):
    client = make_client("token")
    caplog.set_level(logging.INFO, logger="disks.client")

    exercise_everything(client, simulator, idle_desktop)

    lines = [r for r in caplog.records if r.name == "disks.client"]
    assert all(LINE.match(r.getMessage()) for r in lines), [r.getMessage() for r in lines]
    assert len(lines) == len(simulator.requests_log())
    logged = [r.getMessage() for r in lines]
    assert any("operation=ShowDesktopDetail" in m and "status=503" in m for m in logged)
    assert any("operation=AddVolumes" in m and "status=ConnectionError" in m for m in logged)
    assert any("attempt=2" in m for m in logged)
