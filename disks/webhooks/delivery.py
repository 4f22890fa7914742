"""Sending a webhook delivery: the worker's side (never inside a web request).

At least once: a delivery is retried with back-off until the receiver answers 2xx or
RETRY_WINDOW has passed since the event; receivers de-duplicate by the event's id. An
endpoint that has failed for PAUSE_AFTER (every attempt in that time) is paused and its
owner emailed; "send again" on its page sends a delivery once more and un-pauses it.
"""

import json
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from disks.webhooks import formats, signing, transport
from disks.webhooks.events import delivery_enqueue

logger = logging.getLogger(__name__)

RETRY_WINDOW = timedelta(hours=24)
PAUSE_AFTER = timedelta(hours=24)
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600

State = WebhookDelivery.State


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling up to an hour: about 30 attempts in 24 hours."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def webhook_delivery_attempt(*, delivery: WebhookDelivery) -> WebhookAttempt | None:
    """Make one attempt at a pending, due delivery; record it; schedule a retry if it failed.

    1. Claim the attempt with a conditional UPDATE (due and still pending), so that two
       workers, or a retry and a "send again", never send the same attempt twice.
    2. Sign and POST outside any transaction (transport: timeouts, no internal addresses).
    3. In one transaction: record the attempt, then mark the delivery delivered, or give
       it up after RETRY_WINDOW, or schedule the next try (queued once this commits);
       and track the endpoint's failing streak (pause it after PAUSE_AFTER).
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=State.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=None)
    delivery.next_attempt_at = None
    endpoint = delivery.endpoint
    if not claimed or not endpoint.is_active or endpoint.paused_at is not None:
        return None
    outcome = _send(endpoint, delivery)
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error[:300],
            succeeded=outcome.succeeded,
        )
        delivery.attempt_count += 1
        if outcome.succeeded:
            delivery.state = State.DELIVERED
        elif timezone.now() - delivery.created_at >= RETRY_WINDOW:
            delivery.state = State.GAVE_UP
        else:
            delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempt_count)
            transaction.on_commit(lambda: delivery_enqueue(delivery))
        delivery.save(update_fields=["state", "attempt_count", "next_attempt_at"])
        _track_endpoint(endpoint, outcome.succeeded)
    logger.info(
        "webhook delivery=%s endpoint=%s host=%s status=%s error=%s latency_ms=%s",
        delivery.pk,
        endpoint.pk,
        urlsplit(endpoint.url).hostname,  # never the URL: a robot's URL carries its token
        outcome.status_code,
        outcome.error,
        outcome.latency_ms,
    )
    return attempt


def _send(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> transport.Outcome:
    body = json.dumps(formats.render(endpoint.format, delivery.payload)).encode()
    timestamp = int(time.time())
    headers = {
        signing.SIGNATURE_HEADER: signing.signature(
            signing.endpoint_secret(endpoint.secret_salt), timestamp, body
        ),
        "Webhook-Id": str(delivery.event_id),
        "Webhook-Event": delivery.event_type,
    }
    return transport.post(endpoint.url, body, headers)


def _track_endpoint(endpoint: WebhookEndpoint, succeeded: bool) -> None:
    now = timezone.now()
    if succeeded:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    endpoint.refresh_from_db(fields=["failing_since", "paused_at"])
    if endpoint.failing_since and now - endpoint.failing_since >= PAUSE_AFTER:
        paused = WebhookEndpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=True).update(
            paused_at=now
        )
        if paused:
            transaction.on_commit(lambda: _tell_owner(endpoint.pk))


def _tell_owner(endpoint_pk: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_pk)
    owner = endpoint.owner
    if owner is None or not owner.email:
        logger.warning("webhook endpoint %s paused; no owner email to tell", endpoint_pk)
        return
    try:
        send_mail(
            subject=_("Paused: webhook endpoint %(name)s") % {"name": endpoint.name},
            message=_(
                "Every delivery to the webhook endpoint “%(name)s” (%(host)s) has failed for "
                "24 hours, so it is paused. Its page lists the attempts; “send again” there "
                "resumes it."
            )
            % {"name": endpoint.name, "host": urlsplit(endpoint.url).hostname},
            from_email=None,
            recipient_list=[owner.email],
        )
    except OSError as error:
        logger.warning("could not email the owner of webhook endpoint %s: %s", endpoint_pk, error)


def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same event id (someone asked on its endpoint's page).

    It resumes a paused endpoint too: a person asked to try it now.
    """
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            paused_at=None, failing_since=None
        )
        delivery.state = State.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["state", "next_attempt_at"])
        transaction.on_commit(lambda: delivery_enqueue(delivery))
    return delivery
