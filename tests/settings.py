"""Test settings: the real settings module with a few test-only overrides."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("ENV_FILE", os.devnull)

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
