"""Batches: the same disks added to many desktops, sent in chunks of AddVolumes calls.

A `Batch` is what a helpdesk member chose (desktops and disks) and what the preview found;
its `BatchItem`s are the desktops, each ready or skipped with a reason; once submitted, the
ready ones are split into `BatchChunk`s of at most BATCH_CHUNK_SIZE desktops, one
AddVolumes call (and one cloud job) each, and every sent desktop gets a `DiskRequest` of its
own (`DiskRequest.batch`, `.batch_chunk`), so it lives exactly as a single request does.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Batch(models.Model):
    """Data disks for many desktops at once. Its status changes only in services.lifecycle."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed, not sent")
        SENDING = "sending", _("Sending")
        RUNNING = "running", _("In progress")
        FINISHED = "finished", _("Finished")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_username = models.CharField(max_length=150)
    # Unique per creator: the same "preview" POSTed twice lands on the same batch.
    idempotency_key = models.UUIDField(default=uuid.uuid4)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    volumes = models.JSONField(help_text=_("The disks for every desktop: [{type, size, ...}]"))
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    previewed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # What the preview found, as numbers (the items hold the per-desktop verdicts).
    quota = models.JSONField(
        null=True,
        blank=True,
        help_text=_("ShowQuotas at preview: {volumes: {quota, used}, gigabytes: {quota, used}}"),
    )
    preview_problem = models.TextField(blank=True, help_text=_("Why the whole batch cannot go."))
    send_after = models.DateTimeField(
        null=True, blank=True, help_text=_("When the worker should (re)try sending unsent chunks.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by_username", "idempotency_key"], name="one_batch_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"Batch #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED

    @property
    def disk_count(self) -> int:
        return len(self.volumes)

    @property
    def size_gb(self) -> int:
        """GB added to each desktop."""
        return sum(volume["size"] for volume in self.volumes)

    @property
    def elapsed(self) -> timedelta | None:
        if self.submitted_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.submitted_at


class BatchChunk(models.Model):
    """Up to BATCH_CHUNK_SIZE desktops of a batch sent in one AddVolumes call.

    It has no status of its own: `sent_at` (claimed for sending, once), `job_id` (the cloud
    accepted it) and `ended_at` (its job ended, or the call was refused) say where it is.
    """

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(null=True, blank=True)
    job_id = models.CharField(max_length=255, blank=True, db_index=True)
    job_status = models.CharField(max_length=32, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    api_request_id = models.CharField(max_length=128, blank=True)
    poll_interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    poll_failures = models.PositiveIntegerField(default=0)
    poll_error = models.TextField(blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="unique_chunk_number")
        ]

    def __str__(self) -> str:
        return f"Chunk {self.number} of batch #{self.batch_id}"

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None


class BatchItem(models.Model):
    """One desktop chosen for a batch: ready (and later sent in a chunk) or skipped, and why."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    desktop_id = models.CharField(max_length=64)
    desktop_name = models.CharField(max_length=64, blank=True)
    user_name = models.CharField(max_length=64, blank=True)
    data_disks = models.PositiveSmallIntegerField(null=True, blank=True)
    skip_reason = models.TextField(blank=True)
    chunk = models.ForeignKey(
        BatchChunk, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "desktop_id"], name="one_item_per_desktop")
        ]

    def __str__(self) -> str:
        return f"{self.desktop_name or self.desktop_id} in batch #{self.batch_id}"

    @property
    def is_ready(self) -> bool:
        return not self.skip_reason
