"""gunicorn settings for deploy/workspace-disk-admin.service (see README, "Running it in production").

Threads, because the audit CSV export of a million events streams for about a minute: a sync
worker would be killed at its 30 s timeout and the download cut short.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 120
graceful_timeout = 30
# Our own JSON lines (LOG_FORMAT=json) carry one line per request; no access log twice.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Tell prometheus-client that a gunicorn process ended (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
