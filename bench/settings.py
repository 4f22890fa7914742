"""Bench-only settings: the product's settings, plus one URL the product does not have.

Everything else (middleware, session engine, database, templates) is the product's own, so
that `/_bench/minimal/` and the product's pages run behind exactly the same stack.
"""

from workspace_admin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"

# Plain HTTP on loopback: the load tools must be able to send the session and CSRF cookies.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The in-process query counter (django.test.Client) uses the host name "testserver".
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405

# Production serves hashed static names from a manifest (DEBUG off); the bench collects them
# once into its own scratch folder.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"  # noqa: F405
