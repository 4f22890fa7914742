"""The tenant's disk quotas (ShowQuotas), read for display: cached briefly, None if unreadable."""

import logging

from django.core.cache import cache

from disks.client import Quotas, WorkspaceClient, WorkspaceError, get_client

logger = logging.getLogger(__name__)

QUOTAS_CACHE_KEY = "workspace:quotas"
QUOTAS_CACHE_SECONDS = 60


def quotas_for_display(*, client: WorkspaceClient | None = None) -> Quotas | None:
    """Return the quotas as the cloud last said (up to a minute old), or None if it cannot say.

    For showing only: a check before sending must read them fresh.
    """
    quotas = cache.get(QUOTAS_CACHE_KEY)
    if quotas is not None:
        return quotas
    try:
        quotas = (client or get_client()).show_quotas()
    except WorkspaceError as error:
        logger.warning("could not read the quotas: %s", error)
        return None
    cache.set(QUOTAS_CACHE_KEY, quotas, QUOTAS_CACHE_SECONDS)
    return quotas
