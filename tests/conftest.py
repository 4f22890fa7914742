"""Shared fixtures: the simulator, users of each audience, and small helpers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with the given environment (none inherited)."""
    base = {"PATH": os.environ.get("PATH", ""), "ENV_FILE": os.devnull}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="sam", password="pw-sam-123")
