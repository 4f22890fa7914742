"""The tenant's disk quotas (ShowQuotas): read, cached briefly, and checked before a submit.

A quota read that fails never blocks anything: the form then shows no quota line, and the
cloud itself still refuses a request past its quota (403), which the request records.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from disks import rules
from disks.client import Quota, Quotas, WorkspaceClient, WorkspaceError, get_client

logger = logging.getLogger(__name__)

QUOTAS_CACHE_KEY = "disks:quotas"


def quotas_read(
    *, client: WorkspaceClient | None = None, fresh: bool = False, keep: bool = True
) -> Quotas | None:
    """The disk quotas, cached for QUOTA_CACHE_SECONDS; None when the cloud does not say.

    `keep=False` leaves a read from the cloud out of the cache: for a submit about to spend
    the quota, which forgets it right after (quotas_forget), so storing it would only cost
    a write.
    """
    if not fresh:
        cached = cache.get(QUOTAS_CACHE_KEY)
        if cached is not None:
            return cached
    try:
        quotas = (client or get_client()).show_quotas()
    except WorkspaceError as error:
        logger.warning("could not read the quotas: %s", error)
        return None
    if keep:
        cache.set(QUOTAS_CACHE_KEY, quotas, settings.QUOTA_CACHE_SECONDS)
    return quotas


def quotas_forget() -> None:
    """Drop the cached quotas (after disks were ordered, `used` has grown)."""
    cache.delete(QUOTAS_CACHE_KEY)


@dataclass(frozen=True)
class QuotaCheck:
    """New disks and GB held against the quotas: `used + new <= quota` for both."""

    quotas: Quotas
    disks: int
    gigabytes: int

    @property
    def fits(self) -> bool:
        return self.quotas.room_for(self.disks, self.gigabytes)

    def shortfall(self) -> str:
        """The numbers of each quota that would be passed, in words; "" when it fits."""
        parts = []
        for quota, new, unit in (
            (self.quotas.volumes, self.disks, _("disks")),
            (self.quotas.gigabytes, self.gigabytes, _("GB")),
        ):
            if quota is not None and not quota.allows(new):
                parts.append(
                    _(
                        "%(used)s used + %(new)s new = %(total)s %(unit)s, over the quota of %(quota)s"
                    )
                    % {
                        "used": rules.grouped(quota.used),
                        "new": rules.grouped(new),
                        "total": rules.grouped(quota.used + new),
                        "unit": unit,
                        "quota": rules.grouped(quota.quota),
                    }
                )
        return "; ".join(parts)


def quota_fit(quotas: Quotas, *, disks_each: int, gigabytes_each: int) -> int | None:
    """How many desktops, each getting `disks_each` disks of `gigabytes_each` GB, still fit.

    None when neither quota limits it.
    """
    limits = [
        quota.remaining // amount
        for quota, amount in ((quotas.volumes, disks_each), (quotas.gigabytes, gigabytes_each))
        if quota is not None and quota.remaining is not None and amount > 0
    ]
    return min(limits) if limits else None


def quota_summary(quotas: Quotas | None) -> str:
    """'Quota: 212 of 500 disks, 14.2 of 50 TB used', or "" when unknown or unlimited."""
    if quotas is None:
        return ""
    parts = []
    if quotas.volumes is not None and not quotas.volumes.unlimited:
        parts.append(
            _("%(used)s of %(quota)s disks")
            % {
                "used": rules.grouped(quotas.volumes.used),
                "quota": rules.grouped(quotas.volumes.quota),
            }
        )
    if quotas.gigabytes is not None and not quotas.gigabytes.unlimited:
        parts.append(_gigabytes_used(quotas.gigabytes))
    if not parts:
        return ""
    separator = pgettext("between the parts of a list", ", ")
    return _("Quota: %(parts)s used") % {"parts": separator.join(parts)}


def _gigabytes_used(quota: Quota) -> str:
    if quota.quota >= 1024:
        return _("%(used)s of %(quota)s TB") % {
            "used": _tb(quota.used),
            "quota": _tb(quota.quota),
        }
    return _("%(used)s of %(quota)s GB") % {
        "used": rules.grouped(quota.used),
        "quota": rules.grouped(quota.quota),
    }


def _tb(gigabytes: int) -> str:
    """GB as TB (1 TB = 1024 GB, as the console counts), one decimal unless whole."""
    value = gigabytes / 1024
    return rules.grouped(value, 0) if value == int(value) else rules.grouped(value, 1)
