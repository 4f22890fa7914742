"""Background tasks (django.tasks, run by `manage.py run_worker`). Thin: load, call a service.

The DiskRequest row holds the truth (`next_poll_at`, the deadline); a task lost with a
killed worker is re-created by the sweep (services.polling), so no task is precious. The
audit chain's verification task lives with the chain (disks.audit_chain).
"""

from django.tasks import task

from disks.actor import Actor
from disks.models import DiskRequest
from disks.services.polling import disk_request_poll_if_due


@task()
def disk_job_poll_task(disk_request_id: int) -> None:
    """Poll one request's job if it is due; the service re-enqueues while it runs."""
    disk_request = DiskRequest.objects.filter(pk=disk_request_id).first()
    if disk_request is not None:
        disk_request_poll_if_due(disk_request=disk_request, actor=Actor.system())
