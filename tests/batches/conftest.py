"""Fixtures for batch tests: a fake cloud with a fleet, and a helpdesk actor."""

import pytest
from django.core.cache import cache


@pytest.fixture
def cloud(fake_cloud, settings):
    """The in-memory cloud, with a fresh cache (disk types, quotas) and 1-second polls."""
    cache.clear()
    settings.WORKSPACE_JOB_POLL_MAX_SECONDS = 1
    yield fake_cloud
    cache.clear()
