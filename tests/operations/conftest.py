"""Operations tests: capture formatted log lines, forget the per-process brief caches."""

import io
import logging

import pytest

from workspace_admin.logging import ContextFilter, JsonFormatter


@pytest.fixture(autouse=True)
def _fresh_brief_caches():
    from disks.observability import banner
    from workspace_admin import health

    banner._last_seen.clear()
    health._readiness.clear()
    yield
    banner._last_seen.clear()
    health._readiness.clear()


@pytest.fixture
def json_log():
    """Every record at INFO and above, as the production JSON lines; `.lines()` reads them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    handler.lines = lambda: [line for line in stream.getvalue().splitlines() if line]
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
