"""Running the service: the workers' heartbeats and the audit forwarder's position."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One worker process (`manage.py run_worker`) and when it last said it was alive.

    Each worker writes its row every few seconds; readiness, the metrics and the helpdesk
    banner read the freshest one. A stopped worker's row stays, showing when it stopped.
    """

    worker_id = models.CharField(max_length=128, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} (seen {self.last_seen_at:%Y-%m-%d %H:%M:%S})"


class AuditForwarderPosition(models.Model):
    """How far the audit history has been forwarded to one sink (syslog, file).

    The forwarder sends the events after `last_sequence` in order and moves this row only
    once the sink took them: after an outage it resumes here, so every event arrives at
    least once and in order (a receiver may see the last batch twice; the sequence tells).
    """

    name = models.CharField(max_length=255, primary_key=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_forwarded_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # Held by the forwarder that is sending now, so that two never interleave.
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit forwarding to {self.name} at #{self.last_sequence}"
