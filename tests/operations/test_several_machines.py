"""Two dashboards and three workers on one PostgreSQL: 200 requests, one worker killed midway.

Real processes (gunicorn and `manage.py run_worker`), the simulator at high speed, one shared
prometheus-client multiprocess directory (one "machine"). Every job must be polled at most
once per period and recorded once, none lost, and /metrics must add up.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import requests
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import REPO_ROOT

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="several processes need PostgreSQL"
    ),
]

REQUESTS = 200
POLL_SECONDS = 1
TOKEN = "metrics-token-several-machines-0123"


def _seed(path: Path) -> list[str]:
    """The simulator's seed plus REQUESTS idle desktops, one per request."""
    from workspace_sim.config import DEFAULT_SEED_PATH

    seed = json.loads(DEFAULT_SEED_PATH.read_text())
    template = next(
        d
        for d in seed["desktops"]
        if d["status"] == "ACTIVE" and not d["task_status"] and d["data_volumes"] == []
    )
    ids = []
    for number in range(REQUESTS):
        desktop = json.loads(json.dumps(template))
        name = f"MP-PC{number:03d}"
        desktop_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mp-desktop-{number}"))
        desktop.update(desktop_id=desktop_id, computer_name=name, os_host_name=name)
        desktop["root_volume"] = {
            **desktop["root_volume"],
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"mp-root-{number}").hex,
            "volume_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mp-root-volume-{number}")),
        }
        seed["desktops"].append(desktop)
        ids.append(desktop_id)
    path.write_text(json.dumps(seed))
    return ids


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        popen = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.started.append(popen)
        return popen

    def stop_all(self) -> None:
        for popen in self.started:
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        for popen in self.started:
            try:
                popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=60).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def _login(base: str) -> tuple[dict, str]:
    http = requests.Session()
    page = http.get(f"{base}/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    http.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "mp.helpdesk", "password": "pw-mp-1234"},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=60,
    )
    page = http.get(f"{base}/desktops/", timeout=60, allow_redirects=False)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return http.cookies.get_dict(), token


def _submit(base: str, cookies: dict, token: str, desktop_id: str) -> int:
    url = f"{base}/desktops/{desktop_id}/disks/add/"
    data = {
        "csrfmiddlewaretoken": token,
        "action": "submit",
        "idempotency_key": str(uuid.uuid4()),
        "enterprise_project_id": "0",
        "disks-TOTAL_FORMS": "1",
        "disks-INITIAL_FORMS": "0",
        "disks-MIN_NUM_FORMS": "1",
        "disks-MAX_NUM_FORMS": "10",
        "disks-0-type": "SSD",
        "disks-0-size": "100",
    }
    response = requests.post(
        url,
        data=data,
        cookies=cookies,
        headers={"Referer": url},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code


def _scrape(base: str) -> dict:
    text = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).text
    values: dict = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] += sample.value
    return values


def _metric(values: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in values.items() if n == name and wanted <= set(ls))


def _log_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_two_dashboards_three_workers_one_killed_nothing_lost(
    tmp_path, django_user_model, settings
):
    from django.contrib.auth.models import Group

    from disks.client import reset_client
    from disks.models import AuditEvent, DiskRequest, WorkerHeartbeat
    from disks.services.inventory import desktop_inventory_sync
    from workspace_sim.testing import running_simulator

    # The dashboards' own hasher: the tests' fast MD5 one is not in their settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = django_user_model.objects.create_user(username="mp.helpdesk", password="pw-mp-1234")
    user.groups.add(Group.objects.get_or_create(name="helpdesk")[0])
    desktop_ids = _seed(tmp_path / "seed.json")
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    processes = Processes(tmp_path)
    with running_simulator(seed_path=tmp_path / "seed.json", speed=50) as sim:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "ENV_FILE": os.devnull,
            "DEBUG": "false",
            "SECRET_KEY": "several-machines-test-" + "k" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_MANIFEST": "false",
            "DATABASE_URL": _database_url(),
            "WORKSPACE_DEMO": "true",
            "WORKSPACE_ENDPOINT": sim.url,
            "WORKSPACE_JOB_POLL_SECONDS": str(POLL_SECONDS),
            "WORKSPACE_JOB_POLL_MAX_SECONDS": str(POLL_SECONDS),
            "WORKER_SWEEP_SECONDS": "5",
            "INVENTORY_SYNC_MINUTES": "0",
            "AUDIT_VERIFY_MINUTES": "0",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "METRICS_TOKEN": TOKEN,
            "LOG_FORMAT": "json",
        }
        try:
            bases = []
            for number in range(2):
                port = _free_port()
                processes.start(
                    f"web{number}",
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--workers=1",
                        "--worker-class=gthread",
                        "--threads=4",
                        f"--bind=127.0.0.1:{port}",
                        "workspace_admin.wsgi",
                    ],
                    env,
                )
                bases.append(f"http://127.0.0.1:{port}")
            workers = [
                processes.start(
                    f"worker{number}",
                    [sys.executable, "manage.py", "run_worker", "--interval", "0.1"],
                    env,
                )
                for number in range(3)
            ]
            # The inventory, synced here while the processes start.
            settings.WORKSPACE_ENDPOINT = sim.url
            settings.WORKSPACE_RETRY_BACKOFF = 0.01
            reset_client()
            desktop_inventory_sync()
            for base in bases:
                _wait_http(f"{base}/healthz")
            cookies, token = _login(bases[0])

            def submit(number: int) -> int:
                if number == REQUESTS // 2:
                    workers[0].kill()  # SIGKILL, mid-task: nothing to clean up after itself
                return _submit(bases[number % 2], cookies, token, desktop_ids[number])

            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(submit, range(REQUESTS)))
            assert Counter(statuses) == {302: REQUESTS}

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if not DiskRequest.objects.exclude(status="succeeded").exists():
                    break
                time.sleep(0.5)
            left = Counter(DiskRequest.objects.values_list("status", flat=True))
            assert left == {"succeeded": REQUESTS}, left
            assert workers[0].poll() is not None and workers[1].poll() is None

            # Sent once, recorded once.
            assert len(sim.requests_log("AddDesktopVolumes")) == REQUESTS
            for action in (
                AuditEvent.Action.REQUEST_ACCEPTED,
                AuditEvent.Action.JOB_STATUS_CHANGED,
            ):
                per_request = Counter(
                    AuditEvent.objects.filter(action=action).values_list(
                        "disk_request_id", flat=True
                    )
                )
                assert len(per_request) == REQUESTS and set(per_request.values()) == {1}

            # Polled at most once per period: calls on one job are a period apart (less the
            # jitter between a claim and its call; two pollers at once would be ~0 s apart).
            show_jobs = sim.requests_log("ShowJob")
            by_job = defaultdict(list)
            for entry in show_jobs:
                by_job[entry["path"].rsplit("/", 1)[-1]].append(_log_time(entry["time"]))
            gaps = [
                later - earlier
                for times in by_job.values()
                for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
            ]
            assert len(by_job) == REQUESTS
            assert min(gaps, default=POLL_SECONDS) >= POLL_SECONDS * 0.5, sorted(gaps)[:5]

            # The metrics of five processes add up on either dashboard.
            values = _scrape(bases[1])
            assert _metric(values, "diskadmin_disk_requests", kind="add", status="succeeded") == (
                REQUESTS
            )
            assert (
                _metric(
                    values,
                    "diskadmin_cloud_calls_total",
                    operation="AddDesktopVolumes",
                    code="200",
                )
                == REQUESTS
            )
            assert (
                _metric(values, "diskadmin_http_requests_total", view="disks:helpdesk-disk-add")
                == REQUESTS
            )
            # The killed worker may have died between a call and its count: at most one off.
            counted = _metric(values, "diskadmin_cloud_calls_total", operation="ShowJob")
            assert len(show_jobs) - 1 <= counted <= len(show_jobs)
            assert _metric(values, "diskadmin_poll_lag_seconds_count") >= REQUESTS
            # The killed worker's heartbeat is younger than WORKER_STALE_SECONDS yet.
            assert _metric(values, "diskadmin_workers_alive") >= 2
            assert WorkerHeartbeat.objects.count() == 3
        finally:
            processes.stop_all()
            reset_client()
