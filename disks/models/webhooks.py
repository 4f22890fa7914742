"""Webhooks: endpoints that are told about disk requests, and every delivery and attempt.

Deliveries are made by the worker (disks.webhooks), never inside a web request.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disks.sealing import SealedTextField


class WebhookEvent(models.TextChoices):
    REQUEST_SUBMITTED = "request.submitted", _("Request submitted")
    REQUEST_APPROVED = "request.approved", _("Request approved")
    REQUEST_REJECTED = "request.rejected", _("Request rejected")
    REQUEST_SUCCEEDED = "request.succeeded", _("Request succeeded")
    REQUEST_FAILED = "request.failed", _("Request failed")
    REQUEST_NEEDS_REVIEW = "request.needs_review", _("Request needs review")
    BATCH_FINISHED = "batch.finished", _("Batch finished")


class WebhookEndpoint(models.Model):
    """A URL that receives events, in one payload format, for one audience's requests.

    The HMAC secret is not stored: it is derived from SECRET_KEY and `secret_salt`
    (disks.webhooks.signing) and shown once when the endpoint is made. The URL is stored
    sealed (disks.sealing), since a group robot's URL carries its token: pages and logs
    show only its host.
    """

    class Format(models.TextChoices):
        GENERIC = "generic", _("Generic JSON")
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")
        FEISHU = "feishu", _("Feishu group robot")

    class Scope(models.TextChoices):
        ALL = "all", _("All requests")
        HELPDESK = "helpdesk", _("Helpdesk requests")
        PORTAL = "portal", _("Self-service requests")

    name = models.CharField(max_length=100)
    url = SealedTextField()
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.GENERIC)
    events = models.JSONField(default=list, help_text=_("Event types sent, e.g. request.failed."))
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ALL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Told by email when the endpoint is paused."),
    )
    secret_salt = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint: delivered at least once, retried with back-off for 24 h."""

    # `state`, not `status`: only the request lifecycle writes anything called a status
    # (tests/services/test_lifecycle.py scans for it).
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        GAVE_UP = "gave_up", _("Gave up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=32, choices=WebhookEvent.choices)
    disk_request = models.ForeignKey(
        "disks.DiskRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(help_text=_("The event as the generic format sends it."))
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to {self.endpoint}"

    @property
    def batch_id(self) -> int | None:
        """The batch a batch event is about (its payload names it; there is no column)."""
        batch = (self.payload or {}).get("data", {}).get("batch")
        return batch.get("id") if isinstance(batch, dict) else None


class WebhookAttempt(models.Model):
    """One POST of a delivery: what came back, and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"Attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
