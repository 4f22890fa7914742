"""API tokens and the idempotency keys of API writes.

A token is shown once, when it is made, and stored only as its SHA-256 (see ApiToken).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token for /api/v1/: its owner's, with a name, an expiry and a scope.

    Every call made with it is made as its owner, through one audience (the scope), and
    is refused if the owner has since left that audience. Only the SHA-256 of the token
    is kept: a token is 256 random bits, so a fast unsalted hash cannot be reversed by
    guessing (that is what slow, salted hashes protect low-entropy passwords from), and it
    lets a call find its token with one indexed lookup instead of a slow check per token.
    """

    class Scope(models.TextChoices):
        HELPDESK = "helpdesk", _("Helpdesk: read and write")
        HELPDESK_READ = "helpdesk:read", _("Helpdesk: read only")
        END_USER = "end_user", _("Own desktops: read and request disks")
        END_USER_READ = "end_user:read", _("Own desktops: read only")
        AUDITOR = "auditor", _("Audit history: read only")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def audience(self) -> str:
        """The audience the token acts through: helpdesk, end_user or auditor."""
        return self.scope.split(":")[0]

    @property
    def read_only(self) -> bool:
        return self.scope.endswith(":read") or self.scope == self.Scope.AUDITOR

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiRateWindow(models.Model):
    """How many API calls one caller made in one minute: the rate limit's counter.

    `key` is "token:<pk>" or "user:<pk>" (a signed-in browser). A call counts itself with
    one INSERT ... ON CONFLICT DO UPDATE ... RETURNING (disks.services.api_rate); minutes
    that have passed are deleted by a periodic job.
    """

    key = models.CharField(max_length=40)
    window_start = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="one_api_rate_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.window_start:%H:%M}: {self.calls}"


class ApiIdempotencyKey(models.Model):
    """An `Idempotency-Key` an API caller sent with a POST, and what it was sent with.

    The same key with the same body is the same operation; with another body (or to
    another endpoint) it is refused. `disk_request` is set once the operation is done.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField(help_text=_("UUID derived from the header's value (uuid5)."))
    body_hash = models.CharField(
        max_length=64, help_text=_("SHA-256 of the method, path and body.")
    )
    disk_request = models.ForeignKey(
        "disks.DiskRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_api_key_per_user")]

    def __str__(self) -> str:
        return f"Idempotency key {self.key} of {self.user}"
