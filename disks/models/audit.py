"""The audit history: append-only events, chained by SHA-256 so that tampering shows.

Append-only is enforced in layers (each has its own test): `save()` refuses to update,
`delete()` refuses, the queryset refuses bulk `update()`/`delete()`, the admin is read-only,
and on PostgreSQL a trigger refuses UPDATE and DELETE. Only `disks.services.audit` creates
events (`audit_event_record`, and `audit_events_bulk_append` for generated demo data).
"""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be updated.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", "API"
    WORKER = "worker", _("Worker")
    COMMAND = "command", _("Command")


class Audience(models.TextChoices):
    HELPDESK = "helpdesk", _("Helpdesk")
    PORTAL = "portal", _("Portal")
    SYSTEM = "system", _("System")


class AuditEvent(models.Model):
    # Module-level so that disks.actor can name them as types; reachable here as before.
    Channel = Channel
    Audience = Audience

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        FAILURE = "failure", _("Failure")
        PENDING = "pending", _("Pending")
        INFO = "info", _("Info")

    class Action(models.TextChoices):
        REQUEST_SUBMITTED = "disk_request.submitted", _("Request submitted")
        REQUEST_ACCEPTED = "disk_request.accepted", _("Request accepted by the cloud")
        REQUEST_REFUSED = "disk_request.refused", _("Request refused by the cloud")
        REQUEST_OUTCOME_UNKNOWN = "disk_request.outcome_unknown", _("Request outcome unknown")
        REQUEST_PENDING_APPROVAL = "disk_request.pending_approval", _("Request awaiting approval")
        REQUEST_APPROVED = "disk_request.approved", _("Request approved")
        REQUEST_REJECTED = "disk_request.rejected", _("Request rejected")
        JOB_STATUS_CHANGED = "disk_job.status_changed", _("Job status changed")
        REQUEST_RECONCILED = "disk_request.reconciled", _("Request reconciled")
        LOGIN_FAILED = "auth.login_failed", _("Login failed")
        LOCKED_OUT = "auth.locked_out", _("Account locked out")
        INVENTORY_SYNCED = "inventory.synced", _("Inventory synced")
        # Directory sign-in (disks/directory/): details carry the method (local, ldap, oidc).
        LOGIN_SUCCEEDED = "auth.login_succeeded", _("Signed in")
        ROLE_CHANGED = "auth.role_changed", _("Roles changed by the directory")
        DIRECTORY_UNAVAILABLE = "auth.directory_unavailable", _("Directory not answering")
        DIRECTORY_SIGNED_OUT = "auth.directory_signed_out", _("Signed out by the directory")
        BATCH_PREVIEWED = "disk_batch.previewed", _("Batch previewed")
        BATCH_SUBMITTED = "disk_batch.submitted", _("Batch submitted")
        BATCH_SENT = "disk_batch.sent", _("Batch sent")
        BATCH_FINISHED = "disk_batch.finished", _("Batch finished")
        API_TOKEN_CREATED = "api_token.created", _("API token created")
        API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # No SET_NULL: that would UPDATE audit rows, which the append-only guard refuses.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    audience = models.CharField(max_length=16, choices=Audience.choices)
    # How the action reached us (web, api, worker, command). Blank on events written before
    # the column existed; canonical_content leaves a blank channel out, so their hashes hold.
    channel = models.CharField(
        max_length=16, choices=Channel.choices, blank=True, default="", db_default=""
    )
    action = models.CharField(max_length=64, choices=Action.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    desktop_id = models.CharField(max_length=64, blank=True)
    desktop_name = models.CharField(max_length=64, blank=True)
    disk_request = models.ForeignKey(
        "disks.DiskRequest",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_events",
    )
    error_code = models.CharField(max_length=64, blank=True)
    api_request_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        # The review page filters on one of these columns and pages by sequence (keyset), so
        # each index leads with the filter and ends with sequence: the database reads one
        # page straight off the index, newest first, however many events there are. They
        # replace single-column indexes, which they cover. `occurred_at` keeps its own index
        # for the time range and the daily chart.
        indexes = [
            models.Index(
                fields=["actor_username", "sequence"],
                name="audit_actor_seq",
                # A prefix search (LIKE 'ann%') can use a btree index on PostgreSQL only
                # with the pattern operator class (unless the collation is C); it also
                # serves equality. Other databases ignore opclasses.
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(fields=["action", "sequence"], name="audit_action_seq"),
            models.Index(fields=["outcome", "sequence"], name="audit_outcome_seq"),
            models.Index(fields=["desktop_id", "sequence"], name="audit_desktop_id_seq"),
            models.Index(fields=["desktop_name", "sequence"], name="audit_desktop_name_seq"),
            # The operations page's refusal codes per day: refusals only (a few percent of
            # the events), read from the index alone (docs/benchmarks.md, figure 4b).
            models.Index(
                fields=["occurred_at", "error_code"],
                name="audit_refusals_per_day",
                condition=models.Q(action="disk_request.refused"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_username or 'system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    def canonical_content(self) -> bytes:
        """Return the bytes the event's hash covers: every recorded field, in a fixed form."""
        return canonical_content({name: getattr(self, name) for name in CANONICAL_FIELDS})

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical_content()).hexdigest()


# What an event's hash covers: every field but the hash itself (and the row id).
CANONICAL_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_username",
    "source_ip",
    "user_agent",
    "audience",
    "channel",
    "action",
    "outcome",
    "desktop_id",
    "desktop_name",
    "disk_request_id",
    "error_code",
    "api_request_id",
    "details",
    "previous_hash",
)


def canonical_content(values: dict) -> bytes:
    """The hashed form of an event given as {field: value} for CANONICAL_FIELDS.

    A function of plain values, so that verification can stream rows without building
    model instances.
    """
    content = {
        **{name: value for name, value in values.items() if name != "channel" or value},
        "occurred_at": values["occurred_at"].isoformat(timespec="microseconds"),
        "source_ip": values["source_ip"] or "",
    }
    return json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    ).encode()


class AuditChainHead(models.Model):
    """The single row that holds the end of the chain; appending locks it.

    Locking this row (SELECT ... FOR UPDATE on PostgreSQL, the write lock on SQLite)
    serialises writers, so that two events can never claim the same predecessor.
    """

    GENESIS_HASH = "0" * 64

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_sequence}"
