"""The "job status is not being updated" banner that helpdesk staff see when no worker runs.

A context processor (settings.TEMPLATES) and templates/disks/_worker_banner.html, included
by base.html. It asks the database at most once per READYZ_CACHE_SECONDS per process.
"""

from django.http import HttpRequest

from disks.access import HELPDESK, user_audiences
from disks.observability.heartbeat import BriefCache, worker_is_stale, worker_last_seen

_last_seen = BriefCache("READYZ_CACHE_SECONDS")


def worker_banner(request: HttpRequest) -> dict:
    """`worker_stopped` and `worker_last_seen` for helpdesk staff.

    Only a worker that ran and stopped shows: before any worker ever ran (a fresh install,
    the tests) there is no "since" to tell, and /readyz reports it instead.
    """
    user = getattr(request, "user", None)
    if user is None or HELPDESK not in user_audiences(user):
        return {}
    last_seen = _last_seen.get(worker_last_seen)
    stopped = last_seen is not None and worker_is_stale(last_seen)
    return {"worker_stopped": stopped, "worker_last_seen": last_seen}
