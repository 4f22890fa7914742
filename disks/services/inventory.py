"""The inventory: desktops synced from the Workspace API, and the disk types it offers."""

import dataclasses
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disks import rules
from disks.actor import Actor
from disks.client import DesktopDetail, WorkspaceClient, WorkspaceError, get_client
from disks.models import AuditEvent, Desktop, DesktopUser
from disks.services.audit import audit_event_record

logger = logging.getLogger(__name__)

SYNC_PAGE_SIZE = 100
# Fields compared to tell an updated desktop from an unchanged one.
_COMPARED_FIELDS = (
    "computer_name",
    "status",
    "task_status",
    "user_name",
    "enterprise_project_id",
    "availability_zone",
    "root_volume",
    "data_volumes",
)


@dataclass
class SyncSummary:
    total: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Desktops this sync would have removed but did not: too many at once (see
    # INVENTORY_MAX_REMOVAL_SHARE). Empty when nothing was held back.
    removal_refused: list[str] = field(default_factory=list)
    inventory_size: int = 0  # desktops stored before the removal step
    seconds: float = 0.0  # the sync's own time, from its first call to its audit event

    @property
    def removal_refused_message(self) -> str:
        """The refusal in words, for the command, the worker's log and the page."""
        if not self.removal_refused:
            return ""
        return _(
            "Removed nothing: the cloud listed %(listed)d desktops, so %(gone)d of the "
            "%(stored)d stored would have been removed, more than the %(share)d%% a sync may "
            "remove at once (INVENTORY_MAX_REMOVAL_SHARE). If they are really gone, run "
            "`manage.py sync_desktops --allow-mass-removal`."
        ) % {
            "listed": self.total,
            "gone": len(self.removal_refused),
            "stored": self.inventory_size,
            "share": round(settings.INVENTORY_MAX_REMOVAL_SHARE * 100),
        }

    @property
    def unchanged(self) -> int:
        return self.total - len(self.created) - len(self.updated)


def _desktop_fields(detail: DesktopDetail, synced_at: datetime) -> dict:
    volume = dataclasses.asdict
    return {
        "computer_name": detail.computer_name[:64],
        "status": detail.status,
        "task_status": detail.task_status or "",
        "user_name": detail.user_name or "",
        "enterprise_project_id": detail.enterprise_project_id or "0",
        "availability_zone": detail.availability_zone or "",
        "root_volume": volume(detail.root_volume) if detail.root_volume else None,
        "data_volumes": [volume(item) for item in detail.data_volumes],
        "data_volume_count": len(detail.data_volumes),
        "synced_at": synced_at,
    }


def _store_desktops(details: list[DesktopDetail], synced_at: datetime) -> tuple[list, list]:
    """Store one page of a sync; return the names of the (created, updated) desktops."""
    listed_ids = {detail.desktop_id for detail in details}
    before = {
        row["desktop_id"]: row
        for row in Desktop.objects.filter(desktop_id__in=listed_ids).values(
            "pk", "desktop_id", *_COMPARED_FIELDS
        )
    }
    stored = _upsert_desktops(details, synced_at, known={row["pk"] for row in before.values()})
    created = [desktop.computer_name for desktop in stored if desktop.desktop_id not in before]
    updated = [
        desktop.computer_name
        for desktop in stored
        if desktop.desktop_id in before
        and any(
            before[desktop.desktop_id][name] != getattr(desktop, name) for name in _COMPARED_FIELDS
        )
    ]
    return created, updated


def _upsert_desktops(
    details: list[DesktopDetail], synced_at: datetime, *, known: set[int] | None = None
) -> list[Desktop]:
    """Upsert desktops and their user names; return the rows as stored (primary keys set).

    One INSERT ... ON CONFLICT UPDATE for them all, so that two syncs running at once
    cannot trip over each other's inserts. It returns each row's primary key, new or
    existing (RETURNING), and every other column is the one written: the objects are the
    rows, with no second read. `known`: the primary keys of those that were stored before,
    when the caller has read them (None: any may have been).
    """
    # One row per desktop, even if a page lists one twice: an upsert may touch a row once.
    details = list({detail.desktop_id: detail for detail in details}.values())
    desktops = [
        Desktop(desktop_id=detail.desktop_id, **_desktop_fields(detail, synced_at))
        for detail in details
    ]
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction:  # never relax a caller's transaction, which may hold more
            _commit_without_waiting_for_the_disk()
        Desktop.objects.bulk_create(
            desktops,
            update_conflicts=True,
            unique_fields=["desktop_id"],
            update_fields=[*_COMPARED_FIELDS, "data_volume_count", "synced_at"],
        )
        _store_user_names(desktops, details, known)
    return desktops


def _commit_without_waiting_for_the_disk() -> None:
    """Let this transaction's commit return before its WAL is flushed (PostgreSQL only).

    The inventory is a copy of what the cloud says: a crash that loses its last write loses
    nothing the next read of the cloud does not restore, and the database stays consistent
    (an asynchronous commit is lost whole, with whatever came after it). A submit re-reads
    its desktop on every POST, and waiting for the disk was a third of that POST's time on
    a busy machine (issue 22, figure 10). Writes that must survive a crash, the requests
    and the audit history, keep synchronous commits.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _store_user_names(
    desktops: list[Desktop], details: list[DesktopDetail], known: set[int] | None
) -> None:
    """Rewrite the user names of the desktops whose names changed: usually none of them.

    A desktop new to the inventory (not in `known`) has no names stored: they are neither
    read nor deleted. In a first sync of 100,000 desktops those two statements per page
    were each a scan of every name stored so far, 14 ms a page at the end
    (docs/benchmarks.md, figure 7). If another sync running at the same time stored the
    same new desktop between this one's read and its upsert, with other names (the cloud
    changed its user between the two syncs' reads), both sets stay until the next sync,
    which finds the desktop known and rewrites its names.
    """
    wanted = {
        desktop.pk: {name.casefold()[:64] for name in detail.user_names}
        for desktop, detail in zip(desktops, details, strict=True)
    }
    may_have_names = {pk for pk in wanted if known is None or pk in known}
    stored = defaultdict(set)
    if may_have_names:
        rows = DesktopUser.objects.filter(desktop_id__in=may_have_names).values_list(
            "desktop_id", "user_name"
        )
        for desktop_pk, user_name in rows:
            stored[desktop_pk].add(user_name)
    changed = [desktop_pk for desktop_pk, names in wanted.items() if names != stored[desktop_pk]]
    if not changed:
        return
    if to_clear := [pk for pk in changed if pk in may_have_names]:
        DesktopUser.objects.filter(desktop_id__in=to_clear).delete()
    DesktopUser.objects.bulk_create(
        [
            DesktopUser(desktop_id=desktop_pk, user_name=user_name)
            for desktop_pk in changed
            for user_name in wanted[desktop_pk]
        ],
        ignore_conflicts=True,
    )


def desktop_inventory_sync(
    *,
    actor: Actor | None = None,
    client: WorkspaceClient | None = None,
    allow_mass_removal: bool = False,
) -> SyncSummary:
    """Fetch every desktop (paged ListDesktopsDetail), store them, drop those that are gone.

    Recorded in the audit history as done by `actor` (the system unless a person asked),
    whether it succeeded or failed; a failure is raised on as the client raised it.

    A listing that would remove more than INVENTORY_MAX_REMOVAL_SHARE of the inventory (an
    API answering 200 with no desktops once made one sync remove all of them) removes
    nothing unless `allow_mass_removal`; the summary and the audit event say so.

    Desktops are stamped with the time this sync started. Afterwards, those this sync did
    not list and that still carry an older stamp are removed: a sync that started later has
    stamped what it saw with a later time, so it is kept. Rows this sync listed are kept
    whatever their stamp, because an earlier sync still running may have re-stamped them
    with its own, older, start time after this one stored them.
    """
    actor = actor or Actor.system()
    started = time.monotonic()
    try:
        summary = _sync_all_pages(client or get_client(), allow_mass_removal=allow_mass_removal)
    except WorkspaceError as error:
        _record_sync_failure(actor, error)
        raise
    _record_sync(actor, summary)
    summary.seconds = time.monotonic() - started
    return summary


def _sync_all_pages(client: WorkspaceClient, *, allow_mass_removal: bool) -> SyncSummary:
    started = timezone.now()
    summary = SyncSummary()
    seen: set[str] = set()
    offset = 0
    while True:
        page = client.list_desktops_detail(offset=offset, limit=SYNC_PAGE_SIZE)
        if page.desktops:
            created, updated = _store_desktops(list(page.desktops), started)
            summary.created += created
            summary.updated += updated
            summary.total += len(page.desktops)
            seen.update(detail.desktop_id for detail in page.desktops)
        offset += len(page.desktops)
        if not page.desktops or offset >= page.total_count:
            break
    _remove_unseen(summary, seen, started, allow_mass_removal=allow_mass_removal)
    if summary.removal_refused:
        logger.warning("inventory sync: %s", summary.removal_refused_message)
    return summary


def removal_limit(inventory_size: int) -> int:
    """How many desktops one sync may remove from an inventory of `inventory_size`."""
    share = int(inventory_size * settings.INVENTORY_MAX_REMOVAL_SHARE)
    return max(share, settings.INVENTORY_REMOVAL_FLOOR)


def _remove_unseen(
    summary: SyncSummary, seen: set[str], started: datetime, *, allow_mass_removal: bool
) -> None:
    """Delete desktops stamped before `started` that this sync did not list, within the limit.

    The candidates are read first and filtered here, rather than sending every listed id
    back in a NOT IN clause: usually only the few removed desktops carry an older stamp.
    """
    stale = Desktop.objects.filter(synced_at__lt=started).values_list(
        "pk", "desktop_id", "computer_name"
    )
    gone = {pk: name for pk, desktop_id, name in stale if desktop_id not in seen}
    summary.inventory_size = Desktop.objects.count()
    if len(gone) > removal_limit(summary.inventory_size) and not allow_mass_removal:
        summary.removal_refused = list(gone.values())
        return
    Desktop.objects.filter(pk__in=gone, synced_at__lt=started).delete()
    summary.removed = list(gone.values())


def _record_sync_failure(actor: Actor, error: WorkspaceError) -> None:
    audit_event_record(
        action=AuditEvent.Action.INVENTORY_SYNCED,
        outcome=AuditEvent.Outcome.FAILURE,
        actor=actor,
        error_code=error.error_code or (f"HTTP {error.status}" if error.status else ""),
        api_request_id=error.request_id or "",
        details={"message": error.human_message},
    )


def _record_sync(actor: Actor, summary: SyncSummary) -> None:
    details = {
        "total": summary.total,
        "created": len(summary.created),
        "updated": len(summary.updated),
        "removed": len(summary.removed),
    }
    if summary.removal_refused:
        details |= {
            "removal_refused": len(summary.removal_refused),
            "inventory": summary.inventory_size,
            "removal_limit": removal_limit(summary.inventory_size),
        }
    audit_event_record(
        action=AuditEvent.Action.INVENTORY_SYNCED,
        # A refused removal is a failure an auditor should find: the inventory may be stale.
        outcome=AuditEvent.Outcome.FAILURE
        if summary.removal_refused
        else AuditEvent.Outcome.SUCCESS,
        actor=actor,
        details=details,
    )


def desktop_details_store(details: list[DesktopDetail]) -> list[Desktop]:
    """Store desktops just read from the API (a batch's page of them); return the rows."""
    return _upsert_desktops(details, timezone.now()) if details else []


def desktop_refresh(*, desktop_id: str, client: WorkspaceClient | None = None) -> Desktop:
    """Re-read one desktop (ShowDesktopDetail) and store it; return the stored row.

    Raises WorkspaceError as the client does; on a 404 the local copy is removed first,
    since the desktop no longer exists upstream.
    """
    client = client or get_client()
    try:
        detail = client.show_desktop_detail(desktop_id)
    except WorkspaceError as error:
        if error.status == 404:
            Desktop.objects.filter(desktop_id=desktop_id).delete()
        raise
    (desktop,) = _upsert_desktops([detail], timezone.now())
    return desktop


# Disk types ------------------------------------------------------------------------------

DISK_TYPES_CACHE_KEY = "disks:disk-types"
DISK_TYPES_STALE_CACHE_KEY = "disks:disk-types:last-good"
DISK_TYPES_FRESH_SECONDS = 10 * 60
DISK_TYPES_STALE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class DiskTypeOffer:
    """The disk types on offer now, and a note when the list could not be refreshed."""

    types: tuple[rules.DiskType, ...]
    note: str = ""

    def get(self, name: str) -> rules.DiskType | None:
        return next((disk_type for disk_type in self.types if disk_type.name == name), None)


def disk_types_offered(*, client: WorkspaceClient | None = None) -> DiskTypeOffer:
    """Return the disk types the system sells now (ListVolumeProductInfo, status normal).

    Cached for ten minutes. When the API cannot be reached, the last list that could be
    fetched is used; with none, the three documented types, with a note saying so.
    """
    cached = cache.get(DISK_TYPES_CACHE_KEY)
    if cached is not None:
        return cached
    try:
        products = (client or get_client()).list_volume_product_info()
    except WorkspaceError as error:
        logger.warning("could not list disk types: %s", error)
        stale = cache.get(DISK_TYPES_STALE_CACHE_KEY)
        if stale is not None:
            return DiskTypeOffer(
                types=stale.types,
                note=_(
                    "The list of disk types could not be refreshed from the cloud just now; "
                    "showing the last known list."
                ),
            )
        fallback = tuple(
            rules.DiskType(name, rules.disk_type_label(name))
            for name in rules.DOCUMENTED_DISK_TYPES
        )
        return DiskTypeOffer(
            types=fallback,
            note=_(
                "The list of disk types could not be refreshed from the cloud just now; "
                "showing the documented types."
            ),
        )
    offer = DiskTypeOffer(types=_disk_types_from(products))
    cache.set(DISK_TYPES_CACHE_KEY, offer, DISK_TYPES_FRESH_SECONDS)
    cache.set(DISK_TYPES_STALE_CACHE_KEY, offer, DISK_TYPES_STALE_SECONDS)
    return offer


def _disk_types_from(products) -> tuple[rules.DiskType, ...]:
    offered: dict[str, rules.DiskType] = {}
    for product in products:
        if not product.is_available or product.volume_type in offered:
            continue
        offered[product.volume_type] = rules.DiskType(
            name=product.volume_type,
            label=rules.disk_type_label(product.volume_type),
            iops_min=product.iops_min if product.needs_qos else None,
            iops_max=product.iops_max if product.needs_qos else None,
            throughput_min=product.throughput_min if product.needs_qos else None,
            throughput_max=product.throughput_max if product.needs_qos else None,
        )
    return tuple(offered.values())
