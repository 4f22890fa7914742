"""Structured logs: one JSON object per line, a request id from the click to the job's end."""

import json
import logging
import uuid

import pytest
from django.urls import reverse

from disks.client import VolumeSpec
from disks.models import DiskRequest
from disks.observability.context import log_context
from disks.services.requests import disk_request_submit
from disks.tasks import disk_job_poll_task
from tests.factories import desktop_of, helpdesk_actor
from workspace_admin.logging import JsonFormatter, TextFormatter, redact

pytestmark = pytest.mark.django_db


def _records(json_log):
    return [json.loads(line) for line in json_log.lines()]


def test_it_writes_one_json_object_per_line_with_the_context(json_log):
    with log_context(request_id="req-12345678", actor="hana", desktop_id="d-1"):
        logging.getLogger("disks.test").info("hello %s", "world", extra={"operation": "ShowJob"})
    (record,) = _records(json_log)
    assert record["message"] == "hello world"
    assert record["level"] == "INFO"
    assert record["request_id"] == "req-12345678"
    assert record["actor"] == "hana"
    assert record["desktop_id"] == "d-1"
    assert record["operation"] == "ShowJob"


def test_the_text_format_is_readable_and_ends_with_the_ids():
    record = logging.LogRecord("disks", logging.INFO, __file__, 1, "moved to %s", ("done",), None)
    record.request_id, record.actor = "abc12345", "hana"
    line = TextFormatter().format(record)
    assert "INFO disks: moved to done" in line
    assert line.endswith("[request_id=abc12345 actor=hana]")


def test_every_response_carries_a_generated_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_it_takes_the_proxys_request_id_only_behind_a_trusted_proxy(client, settings):
    given = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] != given
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    forged = "x\nfake-line"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"] != forged


def test_one_request_line_per_request_with_actor_and_ids(helpdesk_client, json_log, synced):
    desktop_id = desktop_of(synced, "alice.wong")
    response = helpdesk_client.get(reverse("disks:helpdesk-desktop-detail", args=[desktop_id]))
    request_lines = [r for r in _records(json_log) if r["logger"] == "workspace_admin.request"]
    assert len(request_lines) == 1
    (line,) = request_lines
    assert line["request_id"] == response["X-Request-ID"]
    assert line["actor"] == "hana.helpdesk"
    assert line["desktop_id"] == desktop_id
    assert line["status"] == 200
    assert line["view"] == "disks:helpdesk-desktop-detail"


@pytest.mark.simulator(speed=50)
def test_one_grep_follows_a_request_from_the_click_to_the_jobs_end(synced, helpdesk_user, json_log):
    desktop_id = desktop_of(synced, "alice.wong")
    with log_context(request_id="click-0001", actor=helpdesk_user.username, desktop_id=desktop_id):
        disk_request = disk_request_submit(
            desktop_id=desktop_id,
            volumes=[VolumeSpec("SAS", 10)],
            actor=helpdesk_actor(helpdesk_user),
            idempotency_key=uuid.uuid4(),
        )
    assert disk_request.request_id == "click-0001"
    synced.finish_job(disk_request.job_id)
    DiskRequest.objects.filter(pk=disk_request.pk).update(next_poll_at=disk_request.created_at)
    disk_job_poll_task.call(disk_request.pk)  # the worker, later, without the web's context

    lines = [r for r in _records(json_log) if r.get("request_id") == "click-0001"]
    operations = [r["operation"] for r in lines if "operation" in r]
    assert "AddDesktopVolumes" in operations and "ShowJob" in operations
    show_job = next(r for r in lines if r.get("operation") == "ShowJob")
    assert show_job["status"] == 200
    assert show_job["duration_ms"] >= 0
    assert show_job["cloud_request_id"]
    assert show_job["disk_request_id"] == str(disk_request.pk)
    assert show_job["actor"] == "system"
    actions = [r["action"] for r in lines if "action" in r]
    assert actions[0] == "disk_request.submitted"
    assert actions[-1] == "disk_job.status_changed"


# No secret in any line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "password=hunter2-secret",
        "IAM_PASSWORD: hunter2-secret",
        'auth failed {"token": "hunter2-secret"}',
        "postgres://app:hunter2-secret@db:5432/x",
        "Authorization: Bearer hunter2-secret",
        "sk=hunter2-secret&ak=AKVISIBLE",
        "csrftoken=hunter2-secret; sessionid=hunter2-secret",
    ],
)
def test_redact_masks_secrets_in_messages(text):
    assert "hunter2-secret" not in redact(text)


def test_secret_looking_extra_fields_are_dropped():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login", (), None)
    record.password = "hunter2-secret"
    assert "hunter2-secret" not in JsonFormatter().format(record)


def test_no_secret_reaches_a_log_line_through_the_web(client, json_log, settings, helpdesk_user):
    settings.METRICS_TOKEN = "metrics-token-hunter2-secret"
    client.post(reverse("login"), {"username": "hana.helpdesk", "password": "pw-hana.helpdesk-1"})
    client.post(reverse("login"), {"username": "hana.helpdesk", "password": "wrong-hunter2-secret"})
    client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-hunter2-secret")
    client.get("/metrics?token=metrics-token-hunter2-secret")
    text = "\n".join(json_log.lines())
    assert "workspace_admin.request" in text
    for secret in ("pw-hana.helpdesk-1", "hunter2-secret", settings.SECRET_KEY):
        assert secret not in text


def test_redact_leaves_ordinary_words_alone():
    text = "task=poll disk=SAS desk=3 operation=ShowJob"
    assert redact(text) == text
