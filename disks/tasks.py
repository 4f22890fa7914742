"""Background tasks (django.tasks, run by `manage.py run_worker`). Thin: load, call a service.

The DiskRequest row holds the truth (`next_poll_at`, the deadline); a task lost with a
killed worker is re-created by the sweep (services.polling), so no task is precious. The
audit chain's verification task lives with the chain (disks.audit_chain).
"""

from django.tasks import task

from disks.actor import Actor
from disks.models import Batch, BatchChunk, DiskRequest
from disks.observability.context import log_context
from disks.services.batch_chunks import batch_send
from disks.services.batch_polling import batch_chunk_poll_if_due
from disks.services.polling import disk_request_poll_if_due


@task()
def disk_job_poll_task(disk_request_id: int) -> None:
    """Poll one request's job if it is due; the service re-enqueues while it runs."""
    disk_request = DiskRequest.objects.filter(pk=disk_request_id).first()
    if disk_request is None:
        return
    # The ids of the web request that created it, so the worker's lines grep with the click's.
    with log_context(
        request_id=disk_request.request_id,
        actor="system",
        desktop_id=disk_request.desktop_id,
        disk_request_id=disk_request.pk,
    ):
        disk_request_poll_if_due(disk_request=disk_request, actor=Actor.system())


@task()
def batch_send_task(batch_id: int) -> None:
    """Send a submitted batch's chunks that are not sent yet (each at most once)."""
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is not None:
        batch_send(batch=batch)


@task()
def batch_chunk_poll_task(chunk_id: int) -> None:
    """Poll one chunk's job if it is due; the service re-enqueues while it runs."""
    chunk = BatchChunk.objects.filter(pk=chunk_id).select_related("batch").first()
    if chunk is not None:
        batch_chunk_poll_if_due(chunk=chunk, actor=Actor.system())
