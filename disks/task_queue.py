"""Queueing the worker's next task as part of the write that calls for it.

The task backend is django-tasks-db: a queued task is a row in this same database. Written
inside the caller's transaction, it commits with the move that needs it or not at all, so
there is no moment when a request is in flight with no poll queued (before, a crash between
the commit and the enqueue left that to the sweep), and it costs no commit of its own (an
enqueue after the commit was one more write the disk had to confirm). A backend outside the
database (a broker) cannot join the transaction: there the task is sent once the caller
commits (transaction.on_commit, Django's "performing actions after commit").

Tasks are named by path: their bodies call the services that queue them.
"""

from datetime import datetime

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks_db.backend import DatabaseBackend


def task_enqueue_with_transaction(
    task_path: str, *args: object, run_after: datetime | None = None
) -> None:
    """Queue the task at `task_path` with `args` (not before `run_after`) with the caller's
    transaction: in it when tasks live in the database, else once it commits."""
    task = import_string(task_path)
    if run_after is not None:
        task = task.using(run_after=run_after)
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))
