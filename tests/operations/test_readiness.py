"""/readyz and the stopped-worker banner."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disks.models import WorkerHeartbeat
from disks.observability.heartbeat import worker_heartbeat_beat

pytestmark = pytest.mark.django_db


def _beat(seconds_ago: float = 0) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.update_or_create(
        worker_id="host:1",
        defaults={"hostname": "host", "pid": 1, "started_at": at, "last_seen_at": at},
    )


def test_readyz_is_degraded_but_200_without_a_worker_or_a_sync(client, settings):
    settings.WORKSPACE_ENDPOINT = "http://127.0.0.1:1"
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["cache"] == {"ok": True}
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["cloud"]["ok"] is False


def test_readyz_is_ok_with_a_live_worker_a_fresh_sync_and_the_cloud(client, synced):
    worker_heartbeat_beat(worker_id="host:42", started_at=timezone.now())
    body = client.get("/readyz").json()
    assert body["status"] == "ok", body
    assert body["checks"]["worker"]["age_seconds"] < 5


def test_readyz_answers_are_reused_briefly(client, settings, django_assert_max_num_queries):
    settings.WORKSPACE_ENDPOINT = "http://127.0.0.1:1"
    client.get("/readyz")
    with django_assert_max_num_queries(0):
        client.get("/readyz")


def test_readyz_needs_no_login(client):
    assert client.get("/readyz").status_code in (200, 503)


READYZ_DATABASE_DOWN = """
from django.test import Client
response = Client().get("/readyz")
print(response.status_code, response.json()["checks"]["database"]["ok"])
"""


def test_readyz_is_503_when_the_database_is_down():
    from tests.factories import run_manage

    env = {
        "DEBUG": "true",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "ALLOWED_HOSTS": "testserver",
        "WORKSPACE_ENDPOINT": "http://127.0.0.1:1",
    }
    result = run_manage("shell", "-c", READYZ_DATABASE_DOWN, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "503 False"


def test_helpdesk_staff_see_when_job_status_stopped_being_updated(helpdesk_client, settings):
    settings.TIME_ZONE = "UTC"
    _beat(seconds_ago=600)
    stopped_at = timezone.now() - timedelta(seconds=600)
    page = helpdesk_client.get(reverse("disks:helpdesk-desktop-list")).content.decode()
    assert "Job status is not being updated since" in page
    assert f"{stopped_at:%H:%M}" in page


def test_no_banner_while_a_worker_runs(helpdesk_client):
    _beat(seconds_ago=1)
    page = helpdesk_client.get(reverse("disks:helpdesk-desktop-list")).content.decode()
    assert "not being updated" not in page


def test_end_users_never_see_the_banner(client, end_user):
    _beat(seconds_ago=600)
    client.force_login(end_user)
    page = client.get(reverse("disks:portal-home")).content.decode()
    assert "not being updated" not in page


@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_even_without_periodic_jobs():
    import time

    from disks.management.commands.run_worker import PeriodicScheduler

    scheduler = PeriodicScheduler(periodic=False)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.stopping.set()
        scheduler.join(timeout=10)
    (beat,) = WorkerHeartbeat.objects.all()
    assert beat.worker_id == scheduler.worker_id
    assert (timezone.now() - beat.last_seen_at).total_seconds() < 10
    from disks.models import PeriodicRun

    assert not PeriodicRun.objects.exists()  # --no-periodic: no sweep, no sync
