"""/metrics: who may read it, what it says, and that no label names a person or a desktop."""

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from disks.client import VolumeSpec
from disks.services.requests import disk_request_submit
from tests.factories import desktop_of, helpdesk_actor

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def scrape() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        text = response.content.decode()
        return {
            sample.name + str(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        } | {"_text": text}

    return scrape


def test_it_refuses_without_a_token_or_an_allowed_address(client, settings):
    assert client.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_it_answers_an_allowed_address_or_network(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200


def test_the_allowed_address_is_the_clients_behind_a_trusted_proxy(client, settings):
    settings.METRICS_ALLOWED_IPS = ["192.0.2.10"]
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 200
    assert (
        client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.10, 198.51.100.1").status_code == 403
    )


@pytest.mark.simulator(speed=50)
def test_it_counts_requests_calls_and_the_queue(synced, helpdesk_user, scrape, settings):
    before = scrape()
    desktop_id = desktop_of(synced, "alice.wong")
    disk_request_submit(
        desktop_id=desktop_id,
        volumes=[VolumeSpec("SAS", 10)],
        actor=helpdesk_actor(helpdesk_user),
        idempotency_key=uuid.uuid4(),
    )
    after = scrape()
    assert after["diskadmin_disk_requests[('kind', 'add'), ('status', 'running')]"] == 1
    calls = "diskadmin_cloud_calls_total[('code', '200'), ('operation', 'AddDesktopVolumes')]"
    assert after[calls] == before.get(calls, 0) + 1
    assert after["diskadmin_database_up[]"] == 1
    assert "diskadmin_task_queue_depth[]" in after
    assert "diskadmin_inventory_sync_age_seconds[]" in after
    assert after["diskadmin_inventory_sync_success[]"] == 1
    assert "diskadmin_audit_chain_head_age_seconds[]" in after
    assert (
        after[
            "diskadmin_http_requests_total[('method', 'GET'), ('status', '200'), ('view', 'metrics')]"
        ]
        >= 1
    )
    # No checkpoint written yet: the gauge is absent rather than a made-up age.
    assert "diskadmin_audit_checkpoint_age_seconds[]" not in after
    for private in (desktop_id, helpdesk_user.username, "alice.wong"):
        assert private not in after["_text"]


def test_job_durations_are_a_histogram_by_kind(scrape, db):
    from datetime import timedelta

    from django.utils import timezone

    from disks.models import DiskRequest

    now = timezone.now()
    for seconds, status in ((20, "succeeded"), (200, "failed")):
        DiskRequest.objects.create(
            desktop_id=f"d-{seconds}",
            volumes=[],
            audience="helpdesk",
            status=status,
            requested_by_username="x",
            submitted_at=now - timedelta(seconds=seconds),
            finished_at=now,
        )
    after = scrape()
    assert after["diskadmin_job_duration_seconds_bucket[('kind', 'add'), ('le', '15.0')]"] == 0
    assert after["diskadmin_job_duration_seconds_bucket[('kind', 'add'), ('le', '30.0')]"] == 1
    assert after["diskadmin_job_duration_seconds_bucket[('kind', 'add'), ('le', '300.0')]"] == 2
    assert after["diskadmin_job_duration_seconds_count[('kind', 'add')]"] == 2


def test_metric_names_follow_the_conventions(scrape):
    import re

    text = scrape()["_text"]
    for family in text_string_to_metric_families(text):
        if family.name.startswith("diskadmin_"):
            assert re.fullmatch(r"[a-z_]+", family.name)
            if family.type == "counter":
                assert not family.name.endswith("_total")  # the parser strips it
            assert family.documentation


def test_the_last_checkpoints_age_is_a_gauge(scrape, db, settings, tmp_path):
    from disks.audit_checkpoint import audit_checkpoint_record

    settings.AUDIT_CHECKPOINT_KEY = "checkpoint-key-for-tests-" + "k" * 20
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "checkpoints.jsonl")
    settings.AUDIT_CHECKPOINT_EMAIL = []
    audit_checkpoint_record()
    age = scrape()["diskadmin_audit_checkpoint_age_seconds[]"]
    assert 0 <= age < 60
