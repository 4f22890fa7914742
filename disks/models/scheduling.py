"""Periodic work shared by any number of workers: who runs it next, and when."""

from django.db import models


class PeriodicRun(models.Model):
    """One periodic job (the sweep, the inventory sync) and when it is next due.

    Workers claim a run with a conditional UPDATE on this row, so that with several
    workers on several machines each period's run happens once.
    """

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (next {self.next_run_at:%Y-%m-%d %H:%M:%S})"
