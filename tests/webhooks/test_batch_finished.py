"""`batch.finished`: fired once when a batch moves to finished, with its counts and a link,
delivered signed to a real local receiver, in all four formats; the helpdesk's only."""

import json
import time
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from disks.client import VolumeSpec
from disks.models import Batch, BatchChunk, WebhookDelivery
from disks.services import batch_chunks, batch_polling, batches
from disks.webhooks.delivery import webhook_delivery_attempt
from disks.webhooks.formats import render
from disks.webhooks.signing import endpoint_secret
from tests.factories import desktop_of, helpdesk_actor, seeded_desktop
from tests.webhooks.test_delivery import readme_verifier

pytestmark = pytest.mark.django_db

BATCH_EVENT = {
    "id": "e2",
    "type": "batch.finished",
    "created_at": "2026-12-01T06:00:00+00:00",
    "data": {
        "batch": {
            "id": 12,
            "status": "finished",
            "created_by": "hana.helpdesk",
            "volumes": [{"type": "SAS", "size": 20}],
            "desktops": 3,
            "succeeded": 2,
            "failed": 0,
            "skipped": 1,
            "url": "http://dash/helpdesk/batches/12/",
        }
    },
}


def run_batch_to_the_end(sim, user, capture) -> Batch:
    """Preview three desktops (one busy: skipped), submit, send and poll until finished,
    running the callbacks each step commits (the webhook's fan-out among them)."""
    first = desktop_of(sim, "bob.martin")
    desktops = [first, desktop_of(sim, "bob.martin", exclude={first})]
    desktops.append(seeded_desktop(sim, task_status="creatingWksSnapshot"))
    actor = helpdesk_actor(user)
    with capture(execute=True):
        batch = batches.batch_preview_create(
            desktop_ids=desktops,
            volumes=[VolumeSpec("SAS", 20)],
            actor=actor,
            idempotency_key=uuid.uuid4(),
        )
        batch = batches.batch_submit(batch=batch, actor=actor)
    with capture(execute=True):
        batch = batch_chunks.batch_send(batch=batch)
    deadline = time.monotonic() + 30
    while not batch.is_finished:
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.25)
        chunks = BatchChunk.objects.filter(batch=batch, ended_at__isnull=True)
        chunks.update(next_poll_at=timezone.now())
        with capture(execute=True):
            for chunk in chunks:
                batch_polling.batch_chunk_poll_if_due(chunk=chunk)
        batch.refresh_from_db()
    return batch


@pytest.mark.simulator(speed=50)
def test_a_finished_batch_is_delivered_signed_with_its_counts_and_link(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(events=["batch.finished"])
    portal_only = endpoint_for(events=["batch.finished"], scope="portal")
    batch = run_batch_to_the_end(synced, helpdesk_user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint and delivery.event_type == "batch.finished"
    assert portal_only.deliveries.count() == 0, "batches are the helpdesk's"
    assert receiver.received == [], "the worker sends, not the poll"
    attempt = webhook_delivery_attempt(delivery=delivery)
    assert attempt is not None and attempt.succeeded
    headers, body = receiver.received[0]
    assert readme_verifier()(
        endpoint_secret(endpoint.secret_salt), headers["Webhook-Signature"], body
    )
    event = json.loads(body)
    assert event["type"] == "batch.finished" and headers["Webhook-Id"] == event["id"]
    data = event["data"]["batch"]
    assert data["id"] == batch.pk and data["status"] == "finished"
    assert (data["desktops"], data["succeeded"], data["failed"], data["skipped"]) == (3, 2, 0, 1)
    assert data["created_by"] == "hana.helpdesk"
    page = reverse("disks:helpdesk-batch-detail", args=[batch.pk])
    assert data["url"] == settings.DASHBOARD_URL.rstrip("/") + page


def test_a_batch_refused_whole_by_the_cloud_is_finished_too(
    synced, helpdesk_user, endpoint_for, django_capture_on_commit_callbacks
):
    """A batch whose every chunk is refused finishes at the send: one event all the same."""
    endpoint_for(events=["batch.finished"])
    endpoint_for(events=["request.failed"])
    synced.inject_fault(
        "AddVolumes",
        "status",
        status=400,
        body={"error_code": "WKS.0099", "error_msg": "The chunk was refused."},
    )
    desktop = desktop_of(synced, "bob.martin")
    actor = helpdesk_actor(helpdesk_user)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batches.batch_preview_create(
            desktop_ids=[desktop],
            volumes=[VolumeSpec("SAS", 20)],
            actor=actor,
            idempotency_key=uuid.uuid4(),
        )
        batches.batch_submit(batch=batch, actor=actor)
        batch = batch_chunks.batch_send(batch=batch)
    assert batch.is_finished
    finished = WebhookDelivery.objects.get(event_type="batch.finished")
    assert finished.payload["data"]["batch"]["failed"] == 1
    assert WebhookDelivery.objects.filter(event_type="request.failed").count() == 1


def test_batch_events_are_rendered_in_every_format():
    assert render("generic", BATCH_EVENT) == BATCH_EVENT
    wecom = render("wecom", BATCH_EVENT)["markdown"]["content"]
    assert wecom.startswith("**Batch finished: #12**")
    assert "2 succeeded, 0 failed, 1 skipped" in wecom
    dingtalk = render("dingtalk", BATCH_EVENT)
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"] == "Batch finished: #12"
    assert "SAS 20 GB" in dingtalk["markdown"]["text"]
    feishu = render("feishu", BATCH_EVENT)
    assert feishu["msg_type"] == "text"
    assert "http://dash/helpdesk/batches/12/" in feishu["content"]["text"]
    assert "hana.helpdesk" in feishu["content"]["text"]


def test_an_endpoint_registers_for_batch_finished_like_any_event(helpdesk_user):
    from disks.admin import WebhookEndpointForm

    form = WebhookEndpointForm(
        data={
            "name": "batches",
            "url": "https://hooks.example.com/batches",
            "format": "feishu",
            "events": ["batch.finished"],
            "scope": "helpdesk",
            "owner": helpdesk_user.pk,
            "is_active": "on",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["events"] == ["batch.finished"]


def test_the_endpoint_page_names_the_batch_of_a_batch_delivery(
    client, django_user_model, endpoint_for
):
    """A batch event has no request: its delivery is headed with the batch it is about."""
    endpoint = endpoint_for(events=["batch.finished"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event_type="batch.finished",
        payload=BATCH_EVENT,
        next_attempt_at=timezone.now(),
    )
    assert delivery.batch_id == 12
    client.force_login(django_user_model.objects.create_superuser("ada.admin", password="x-1234"))
    page = client.get(reverse("disks:webhook-endpoint-detail", args=[endpoint.pk])).content.decode()
    heading = page.split(f'id="delivery-{delivery.pk}">', 1)[1].split("</h3>", 1)[0]
    assert "Batch #12" in heading
