"""Background tasks (django.tasks, run by `manage.py run_worker`). Thin: load, call a service.

The DiskRequest row holds the truth (`next_poll_at`, the deadline); a task lost with a
killed worker is re-created by the sweep (services.polling), so no task is precious. The
audit chain's verification task lives with the chain (disks.audit_chain).
"""

from django.tasks import task

from disks.actor import Actor
from disks.models import DiskRequest
from disks.observability.context import log_context
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
