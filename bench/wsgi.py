"""The product's WSGI application, wrapped to report its own time in a Server-Timing header.

The wrapper sits outside Django (no extra middleware), so the figures compare views behind
the product's own stack; the header gives the server's time without the client's.
"""

import os
import time

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

django_application = get_wsgi_application()


def application(environ, start_response):
    started = time.perf_counter()

    def timed_start_response(status, headers, exc_info=None):
        elapsed_ms = (time.perf_counter() - started) * 1000
        headers = [*headers, ("Server-Timing", f"app;dur={elapsed_ms:.3f}")]
        return start_response(status, headers, exc_info)

    return django_application(environ, timed_start_response)
