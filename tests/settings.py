"""Test settings: the real settings module with a few test-only overrides."""

import hashlib
import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("ENV_FILE", os.devnull)
# The tests talk to simulators they start themselves (tests/conftest.py).
os.environ.setdefault("WORKSPACE_DEMO", "true")

from workspace_admin.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the source folders, so tests need no collectstatic.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tests run tasks explicitly (or through an in-process worker); nothing runs on its own.
TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

# SQLite tests use a file, not the in-memory default: tests with threads (workers, many
# watchers) need SQLite's file locking, WAL and busy timeout, which shared-cache memory
# databases do not honour ("database table is locked").
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test run (pid), so that runs side by side do not share it.
    _test_db = BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3"  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db)}  # noqa: F405
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
else:
    # One test database per checkout (xdist adds each worker's suffix), so that runs on one
    # server from two checkouts (CI's clone beside a developer's) never drop each other's;
    # a run in the same checkout reuses (clobbers) its name, so none are left to pile up.
    _checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_checkout}"}  # noqa: F405
    # Test runners flush every table between transactional tests (TRUNCATE); the audit
    # tables refuse that unless a superuser's session says so (migration 0006).
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = f"{_options.get('options', '')} -c disks.allow_audit_truncate=on".strip()
