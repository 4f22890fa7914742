"""`manage.py reconcile_requests`: bring every unfinished request up to date, now.

Runs the sweep (re-queues requests whose poll task was lost, gives crashed submissions a
poll time), then polls or reconciles each overdue request here, without waiting for a
worker. It never submits a request a second time.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from disks.actor import Actor, Channel
from disks.models import DiskRequest
from disks.services.polling import disk_request_poll_if_due, disk_requests_sweep


class Command(BaseCommand):
    help = "Re-queue lost polls and resolve requests left by crashes (never resubmits)."

    def handle(self, *args, **options):
        requeued = disk_requests_sweep()
        self.stdout.write(f"sweep: {requeued} overdue request(s) re-queued")
        due = DiskRequest.objects.filter(
            status__in=DiskRequest.IN_FLIGHT_STATUSES, next_poll_at__lte=timezone.now()
        )
        for disk_request in due:
            before = disk_request.status
            after = disk_request_poll_if_due(
                disk_request=disk_request, actor=Actor.system(Channel.COMMAND)
            )
            self.stdout.write(f"#{after.pk} {after.desktop_name}: {before} -> {after.status}")
