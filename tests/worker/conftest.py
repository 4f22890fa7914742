"""A real task queue (django-tasks-db) and real workers, run in this process."""

import threading
import time

import pytest
from django.db import close_old_connections, connections

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def task_queue(settings, workspace):
    """The database task backend instead of the tests' dummy one."""
    settings.TASKS = DB_TASKS
    settings.WORKER_SWEEP_SECONDS = 2
    return settings


def run_batch(until, *, timeout=20.0):
    """Run `db_worker --batch` again and again until `until()` is true (or time runs out)."""
    from django.core.management import call_command

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call_command("db_worker", batch=True, interval=0, verbosity=0)
        if until():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not get there in time")


class WorkerThread(threading.Thread):
    """django-tasks-db's own Worker loop, in a thread, stoppable."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=worker_id, daemon=True)
        from django_tasks_db.management.commands.db_worker import Worker

        self.worker = Worker(
            queue_names=["default"],
            interval=0.05,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

    def run(self) -> None:
        try:
            self.worker.run()
        finally:
            close_old_connections()
            connections.close_all()

    def stop(self) -> None:
        self.worker.running = False
        self.join(timeout=10)
