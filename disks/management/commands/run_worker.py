"""`manage.py run_worker`: the background worker. Run one or many, on one or many machines.

It runs django-tasks-db's `db_worker` (poll tasks, claimed with SELECT ... FOR UPDATE SKIP
LOCKED on PostgreSQL) and, in a side thread, the periodic jobs (the sweep and the inventory
sync), each claimed per period so that several workers do not repeat them.
"""

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.utils import timezone

from disks.observability.heartbeat import worker_heartbeat_beat, worker_id_make
from disks.services.periodic import periodic_run_due

logger = logging.getLogger(__name__)

SCHEDULER_TICK_SECONDS = 5


class PeriodicScheduler(threading.Thread):
    """Wake every few seconds: say this worker is alive, and run whichever periodic job is due."""

    def __init__(self, *, periodic: bool = True) -> None:
        super().__init__(name="periodic-scheduler", daemon=True)
        self.stopping = threading.Event()
        self.periodic = periodic
        self.worker_id = worker_id_make()
        self.started_at = timezone.now()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                worker_heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
                ran = periodic_run_due() if self.periodic else []
                if ran:
                    logger.info("periodic jobs run: %s", ", ".join(ran))
            except Exception:  # keep the worker alive; the next tick tries again
                logger.exception("periodic jobs failed")
            finally:
                close_old_connections()
            self.stopping.wait(SCHEDULER_TICK_SECONDS)
        connections.close_all()  # this thread's own connections


class Command(BaseCommand):
    help = "Run the task worker (db_worker) together with the periodic sweep and inventory sync."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="idle poll interval, s")
        parser.add_argument(
            "--no-periodic", action="store_true", help="run tasks only, no sweep or sync"
        )

    def handle(self, *args, interval: float, no_periodic: bool, **options):
        # The scheduler also writes the heartbeat, so it runs even with --no-periodic.
        scheduler = PeriodicScheduler(periodic=not no_periodic)
        scheduler.start()
        try:
            # No autoreload: it would run the tasks in a child process that outlives a SIGTERM.
            call_command(
                "db_worker", interval=interval, reload=False, verbosity=options["verbosity"]
            )
        finally:
            scheduler.stopping.set()
