"""Webhooks delivered by the worker to a real local receiver: signed, retried, recorded,
paused after a day of failures, sent again on request; never to internal addresses."""

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from disks.client import VolumeSpec
from disks.models import DiskRequest, WebhookDelivery, WebhookEndpoint
from disks.services.approvals import disk_request_approve, disk_request_hold_for_approval
from disks.services.requests import disk_request_submit
from disks.webhooks import transport
from disks.webhooks.delivery import webhook_delivery_attempt
from disks.webhooks.formats import render
from disks.webhooks.signing import endpoint_secret
from tests.api.test_tokens import all_rows_text
from tests.factories import REPO_ROOT, desktop_of, helpdesk_actor, portal_actor

pytestmark = pytest.mark.django_db


def readme_verifier():
    """The README's verification snippet, run as a receiver would run it."""
    readme = (REPO_ROOT / "README.md").read_text()
    webhooks = readme[readme.index("## Webhooks") :]
    snippet = webhooks.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own README)
    return namespace["webhook_is_genuine"]


def submit(sim, user, capture, **kwargs) -> DiskRequest:
    with capture(execute=True):
        return disk_request_submit(
            desktop_id=desktop_of(sim, "alice.wong"),
            volumes=[VolumeSpec("SAS", 20)],
            actor=helpdesk_actor(user),
            idempotency_key=uuid.uuid4(),
            **kwargs,
        )


def test_a_new_request_is_delivered_signed_with_its_event_id(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for()
    disk_request = submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event_type="request.submitted")
    assert receiver.received == [], "the web request only records and queues"
    attempt = webhook_delivery_attempt(delivery=delivery)
    assert attempt is not None and attempt.succeeded and attempt.status_code == 200
    headers, body = receiver.received[0]
    verify = readme_verifier()
    assert verify(endpoint_secret(endpoint.secret_salt), headers["Webhook-Signature"], body)
    assert not verify("whsec_wrong", headers["Webhook-Signature"], body)
    assert not verify(endpoint_secret(endpoint.secret_salt), headers["Webhook-Signature"], b"{}")
    event = json.loads(body)
    assert headers["Webhook-Id"] == event["id"] == str(delivery.event_id)
    assert event["type"] == "request.submitted"
    assert event["data"]["disk_request"]["id"] == disk_request.pk
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempt_count == 1


def test_a_failed_attempt_is_recorded_and_retried_with_back_off(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(events=["request.submitted"])
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    receiver.answers.append((503, {}, "busy, try later"))
    with django_capture_on_commit_callbacks() as queued:
        first = webhook_delivery_attempt(delivery=delivery)
    assert first is not None and not first.succeeded
    assert (first.status_code, first.response_excerpt) == (503, "busy, try later")
    assert len(queued) == 1, "the retry is queued once the attempt is recorded"
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 25 <= wait <= 31
    assert webhook_delivery_attempt(delivery=delivery) is None, "not due yet"
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    second = webhook_delivery_attempt(delivery=delivery)
    assert second is not None and second.succeeded
    assert [h["Webhook-Id"] for h, _b in receiver.received] == [str(delivery.event_id)] * 2


def test_after_a_day_of_failures_it_gives_up_pauses_and_tells_the_owner(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    helpdesk_user.email = "hana@example.com"
    helpdesk_user.save()
    endpoint = endpoint_for(events=["request.submitted"])
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    a_day_ago = timezone.now() - timedelta(hours=24, minutes=1)
    WebhookDelivery.objects.update(created_at=a_day_ago)
    WebhookEndpoint.objects.update(failing_since=a_day_ago)
    receiver.answers.append((500, {}, "down"))
    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_attempt(delivery=WebhookDelivery.objects.get())
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "gave_up" and delivery.next_attempt_at is None
    endpoint.refresh_from_db()
    assert endpoint.paused_at is not None
    assert [message.to for message in mail.outbox] == [["hana@example.com"]]
    assert "Paused" in mail.outbox[0].subject
    assert receiver.url not in mail.outbox[0].body


def test_send_again_replays_the_same_event_and_resumes_a_paused_endpoint(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks, client,
    django_user_model,
):  # fmt: skip
    endpoint = endpoint_for(events=["request.submitted"])
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_attempt(delivery=delivery)
    WebhookEndpoint.objects.update(paused_at=timezone.now())
    admin = django_user_model.objects.create_superuser("ada.admin", password="x-123456789")
    client.force_login(admin)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("disks:webhook-delivery-resend", args=[delivery.pk]))
    assert response.status_code == 302
    assert len(queued) == 1
    delivery.refresh_from_db()
    webhook_delivery_attempt(delivery=delivery)
    assert [h["Webhook-Id"] for h, _b in receiver.received] == [str(delivery.event_id)] * 2
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None
    page = client.get(reverse("disks:webhook-endpoint-detail", args=[endpoint.pk]))
    assert page.status_code == 200
    assert page.content.decode().count("<td>200</td>") == 2
    assert receiver.url not in page.content.decode(), "the host only"


def test_only_wanted_events_for_the_endpoints_audience_are_sent(
    synced, helpdesk_user, end_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    failures_only = endpoint_for(events=["request.failed"])
    portal_only = endpoint_for(scope="portal")
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        held = disk_request_hold_for_approval(
            desktop_id=desktop_of(
                synced, "alice.wong", exclude={DiskRequest.objects.get().desktop_id}
            ),
            volumes=[VolumeSpec("SAS", 500)],
            actor=portal_actor(end_user),
            idempotency_key=uuid.uuid4(),
        )
        disk_request_approve(disk_request=held, actor=helpdesk_actor(helpdesk_user))
    sent = list(WebhookDelivery.objects.order_by("id").values_list("endpoint", "event_type"))
    assert sent == [(portal_only.pk, "request.submitted"), (portal_only.pk, "request.approved")]
    assert failures_only.deliveries.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
        "file:///etc/passwd",
    ],
)
def test_internal_addresses_and_other_schemes_are_refused(settings, url):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(transport.UnsafeUrl):
        transport.url_check(url)
    outcome = transport.post(url, b"{}", {})
    assert outcome.status_code is None and outcome.error.startswith("refused:")


def test_the_allow_list_admits_only_its_hosts(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    transport.url_check("http://127.0.0.1:8080/hook")
    for url in ("http://10.1.2.3/", "http://example.com/"):
        with pytest.raises(transport.UnsafeUrl):
            transport.url_check(url)


def test_a_redirect_to_another_host_is_not_followed(receiver):
    port = receiver.url.split(":")[2].split("/")[0]
    receiver.answers.append((302, {"Location": f"http://localhost:{port}/elsewhere"}, ""))
    outcome = transport.post(receiver.url, b"{}", {})
    assert outcome.error == "redirect to another host refused"
    assert len(receiver.received) == 1


def test_group_robot_formats_use_their_documented_bodies():
    event = {
        "id": "e1",
        "type": "request.failed",
        "created_at": "2026-12-01T06:00:00+00:00",
        "data": {
            "disk_request": {
                "id": 7,
                "status": "failed",
                "desktop_name": "AWONG-PC01",
                "requested_by": "alice.wong",
                "volumes": [{"type": "SAS", "size": 20}],
                "error_message": "Quota exceeded.",
                "url": "http://dash/requests/7/",
            }
        },
    }
    assert render("generic", event) == event
    wecom = render("wecom", event)
    assert wecom["msgtype"] == "markdown" and "Quota exceeded." in wecom["markdown"]["content"]
    dingtalk = render("dingtalk", event)
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"] == "Request failed: #7 AWONG-PC01"
    feishu = render("feishu", event)
    assert feishu["msg_type"] == "text" and "SAS 20 GB" in feishu["content"]["text"]


def test_robot_deliveries_reach_the_receiver_in_their_format(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(format="dingtalk", events=["request.submitted"])
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    webhook_delivery_attempt(delivery=WebhookDelivery.objects.get())
    body = json.loads(receiver.received[0][1])
    assert body["msgtype"] == "markdown" and body["markdown"]["title"].startswith(
        "Request submitted"
    )


def test_no_webhook_secret_is_stored_or_logged(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    endpoint = endpoint_for()
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    webhook_delivery_attempt(delivery=WebhookDelivery.objects.get())
    secret = endpoint_secret(endpoint.secret_salt)
    assert secret not in all_rows_text()
    assert secret not in caplog.text
    assert receiver.url not in caplog.text


def test_the_worker_task_sends_a_queued_delivery(
    synced, helpdesk_user, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    from django.tasks import default_task_backend

    from disks.webhooks.tasks import webhook_delivery_send_task

    endpoint_for(events=["request.submitted"])
    default_task_backend.clear()
    submit(synced, helpdesk_user, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    queued = [
        result
        for result in default_task_backend.results
        if result.task.name == webhook_delivery_send_task.name
    ]
    assert [result.args for result in queued] == [[delivery.pk]]
    webhook_delivery_send_task.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and len(receiver.received) == 1
