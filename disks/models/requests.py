"""Disk requests and the cloud jobs that carry them out."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disks.observability.context import current_request_id


class DiskRequest(models.Model):
    """One change to one desktop's data disks (add, expand or delete: `kind`), and the cloud
    job that carries it out.

    The row, not the task queue, is the truth about a request. Its status changes only
    through disks.services.lifecycle, which records an audit event for each move (the
    state diagram is in docs/design.md).
    """

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        REJECTED = "rejected", _("Rejected")
        SUBMITTING = "submitting", _("Sending to the cloud")
        RUNNING = "running", _("In progress")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        NEEDS_REVIEW = "needs_review", _("Needs review")

    class Audience(models.TextChoices):
        HELPDESK = "helpdesk", _("Helpdesk")
        PORTAL = "portal", _("Self-service portal")

    class Kind(models.TextChoices):
        """What the request does to the desktop's disks (disks.services.operations)."""

        ADD = "add", _("Add disks")
        EXPAND = "expand", _("Expand disks")
        DELETE = "delete", _("Delete disks")

    TERMINAL_STATUSES = frozenset(
        {Status.REJECTED, Status.SUCCEEDED, Status.FAILED, Status.NEEDS_REVIEW}
    )
    IN_FLIGHT_STATUSES = frozenset({Status.SUBMITTING, Status.RUNNING})

    desktop_id = models.CharField(max_length=64, db_index=True)
    desktop_name = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ADD, db_index=True)
    # The disks the request is about; the shape depends on the kind:
    #   add:    [{type, size, iops?, throughput?}]            the new disks
    #   expand: [{volume_id, type, size, new_size}]           size before and after, in GB
    #   delete: [{volume_id, type, size, device}]             the disks to destroy
    # `volume_id` is the EVS id (Volume.volume_id); type, size and device are as the
    # desktop was read just before the request was recorded.
    volumes = models.JSONField(
        help_text=_(
            "add: [{type, size, iops?, throughput?}]; expand: [{volume_id, type, size, "
            "new_size}]; delete: [{volume_id, type, size, device}]"
        )
    )
    enterprise_project_id = models.CharField(max_length=36, default="0")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    # Unique per requester (see the constraint): someone else's key is a new request.
    idempotency_key = models.UUIDField(default=uuid.uuid4)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_username = models.CharField(max_length=150)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_username = models.CharField(max_length=150, blank=True)
    decision_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    data_disks_before = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Data disks on the desktop just before submission.")
    )
    job_id = models.CharField(max_length=255, blank=True, db_index=True)
    job_status = models.CharField(
        max_length=32, blank=True, help_text=_("The API's own job status.")
    )
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    progress_is_estimate = models.BooleanField(default=False)
    sub_jobs = models.JSONField(default=list, blank=True)
    min_provision_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_provision_minutes = models.PositiveIntegerField(null=True, blank=True)
    poll_interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    poll_failures = models.PositiveIntegerField(
        default=0, help_text=_("Polls in a row that could not reach the API (drives the back-off).")
    )
    poll_error = models.TextField(blank=True, help_text=_("Why the last poll failed, in words."))

    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True, help_text=_("The reason it failed, in words."))
    api_request_id = models.CharField(max_length=128, blank=True)
    # The id of the web request (or command) that created it: the worker's polls log it too,
    # so one grep follows a request from the click to the job's end.
    request_id = models.CharField(max_length=128, blank=True, default=current_request_id)

    # Sent as part of a batch: its chunk's job carries it, and the chunk is polled, not it.
    batch = models.ForeignKey(
        "disks.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    batch_chunk = models.ForeignKey(
        "disks.BatchChunk",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The operations page's job durations: the requests finished in a period, with
            # what the percentiles need, read from the index alone (docs/benchmarks.md, 4b).
            models.Index(
                fields=["finished_at", "kind", "submitted_at"], name="diskrequest_finished"
            ),
            # A batch's items join their requests on (batch, desktop id): the progress
            # fragment's summary and page. With the batch alone, each of 1,000 items scanned
            # the batch's 1,000 requests (73 ms vs 5 ms per poll; docs/benchmarks.md, 9).
            models.Index(fields=["batch", "desktop_id"], name="diskrequest_batch_desktop"),
        ]
        constraints = [
            # One request in flight per desktop, mirroring the API's own WKS.0407 refusal.
            models.UniqueConstraint(
                fields=["desktop_id"],
                condition=Q(status__in=["submitting", "running"]),
                name="one_in_flight_request_per_desktop",
            ),
            models.UniqueConstraint(
                fields=["requested_by_username", "idempotency_key"],
                name="one_request_per_requester_key",
            ),
        ]

    def __str__(self) -> str:
        return f"Disk request #{self.pk} for {self.desktop_name or self.desktop_id}"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL_STATUSES

    @property
    def elapsed(self) -> timedelta | None:
        """Time since it was sent to the cloud, up to when it finished."""
        if self.submitted_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.submitted_at

    @property
    def disk_count(self) -> int:
        return len(self.volumes)

    @property
    def total_size_gb(self) -> int:
        """GB the request is about: added, or (expand) after growing, or (delete) destroyed."""
        key = "new_size" if self.kind == self.Kind.EXPAND else "size"
        return sum(volume[key] for volume in self.volumes)

    @property
    def added_gb(self) -> int:
        """GB the request adds to the tenant: new disks, or an expand's growth; 0 for delete."""
        if self.kind == self.Kind.DELETE:
            return 0
        if self.kind == self.Kind.EXPAND:
            return sum(volume["new_size"] - volume["size"] for volume in self.volumes)
        return sum(volume["size"] for volume in self.volumes)
