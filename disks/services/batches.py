"""Batches: the same data disks for many desktops, previewed first, then sent in chunks.

1. `batch_preview_create` (a dry run, no cloud write) re-reads every chosen desktop from the
   API, checks it as a single request would be checked, and reads the quota. The batch is
   saved `previewed` with one item per desktop, ready or skipped with the reason.
2. `batch_submit` checks the quota again, splits the ready desktops into chunks of at most
   BATCH_CHUNK_SIZE and moves the batch to `sending`; the worker sends the chunks
   (services.batch_chunks), one AddVolumes call each, and follows each chunk's one job.
3. `batch_retry_failed` previews a new batch of the desktops whose disks were not added.

Why ListDesktopsDetail and not ShowDesktopDetail for the preview: the list call filters by up
to 100 desktop ids (`desktop_id`, repeated), so 1,000 desktops cost 10 calls, read
BATCH_PREVIEW_PARALLEL at a time; ShowDesktopDetail would cost 1,000 calls, and the cloud's
rate limits count calls, not desktops.
"""

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disks import rules
from disks.actor import Actor
from disks.client import (
    DesktopDetail,
    Quota,
    Quotas,
    VolumeSpec,
    WorkspaceClient,
    WorkspaceError,
    get_client,
)
from disks.models import AuditEvent, Batch, BatchChunk, BatchItem, Desktop, DiskRequest
from disks.services.inventory import desktop_details_store, disk_types_offered
from disks.services.lifecycle import AuditEntry, StaleMove, batch_create, batch_move
from disks.services.quotas import QuotaCheck, quota_fit, quotas_read

Status = Batch.Status
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome

MAX_BATCH_DESKTOPS = 1000
# ListDesktopsDetail's `desktop_id` filter takes at most 100 ids.
DESKTOPS_PER_READ = 100


# Reading and checking the desktops ------------------------------------------------------------


def desktops_read(
    desktop_ids: Sequence[str], *, client: WorkspaceClient
) -> dict[str, DesktopDetail]:
    """Read desktops by id, 100 a call, at most BATCH_PREVIEW_PARALLEL calls at once.

    Raises WorkspaceError if any page cannot be read: a preview with holes would call
    desktops "unknown" that are only unread.
    """
    pages = [
        list(desktop_ids[start : start + DESKTOPS_PER_READ])
        for start in range(0, len(desktop_ids), DESKTOPS_PER_READ)
    ]

    def read(ids: list[str]) -> tuple[DesktopDetail, ...]:
        return client.list_desktops_detail(desktop_ids=ids, limit=len(ids)).desktops

    workers = min(settings.BATCH_PREVIEW_PARALLEL, len(pages)) or 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-preview") as pool:
        results = list(pool.map(read, pages))
    return {detail.desktop_id: detail for page in results for detail in page}


def desktop_skip_reason(detail: DesktopDetail | None, new_disks: int) -> str:
    """Why this desktop cannot take `new_disks` now, in words; "" when it can."""
    if detail is None:
        return _("The cloud does not know this desktop (deleted?).")
    if detail.status != rules.DESKTOP_STATUS_READY:
        return _(
            "The desktop is %(status)s: disks can be added only while it is running (ACTIVE)."
        ) % {"status": detail.status or _("in an unknown state")}
    if detail.task_status:
        return _("The desktop is busy (%(task)s).") % {"task": detail.task_status}
    existing = len(detail.data_volumes)
    if existing + new_disks > rules.MAX_DATA_DISKS_PER_DESKTOP:
        return _(
            "It has %(existing)s data disks: room for %(free)s more, the batch adds %(new)s."
        ) % {"existing": existing, "free": rules.free_disk_slots(existing), "new": new_disks}
    return ""


def _in_flight_reasons(desktop_ids: Sequence[str]) -> dict[str, str]:
    in_flight = DiskRequest.objects.filter(
        desktop_id__in=desktop_ids, status__in=DiskRequest.IN_FLIGHT_STATUSES
    ).values_list("desktop_id", "pk")
    return {
        desktop_id: _("Request #%(pk)s is already changing its disks.") % {"pk": pk}
        for desktop_id, pk in in_flight
    }


def volumes_problems(volumes: Sequence[VolumeSpec], *, client: WorkspaceClient) -> list[str]:
    """What is wrong with the disks chosen for every desktop (sizes, types on sale, count)."""
    if not volumes:
        return [_("Add at least one disk.")]
    problems = []
    if len(volumes) > rules.MAX_DATA_DISKS_PER_DESKTOP:
        problems.append(
            _("At most %(max)s disks per desktop.") % {"max": rules.MAX_DATA_DISKS_PER_DESKTOP}
        )
    offer = disk_types_offered(client=client)
    for number, volume in enumerate(volumes, start=1):
        size_problem = rules.size_error(volume.size)
        if size_problem:
            problems.append(_("Disk %(n)s: %(problem)s") % {"n": number, "problem": size_problem})
        if offer.get(volume.type) is None:
            problems.append(
                _("Disk %(n)s: the cloud does not sell %(type)s disks now.")
                % {"n": number, "type": volume.type}
            )
    return problems


# Preview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchNumbers:
    """What a batch will do, as the preview page and the submit event show it."""

    ready: int
    skipped: int
    disks_each: int
    gigabytes_each: int
    chunk_size: int

    @property
    def new_disks(self) -> int:
        return self.ready * self.disks_each

    @property
    def new_gigabytes(self) -> int:
        return self.ready * self.gigabytes_each

    @property
    def calls(self) -> int:
        """AddVolumes calls the submit will make."""
        return -(-self.ready // self.chunk_size)

    def as_details(self) -> dict:
        return {
            "ready": self.ready,
            "skipped": self.skipped,
            "new_disks": self.new_disks,
            "new_gb": self.new_gigabytes,
            "calls": self.calls,
        }


def batch_numbers(batch: Batch) -> BatchNumbers:
    ready = batch.items.filter(skip_reason="").count()
    return BatchNumbers(
        ready=ready,
        skipped=batch.items.count() - ready,
        disks_each=batch.disk_count,
        gigabytes_each=batch.size_gb,
        chunk_size=settings.BATCH_CHUNK_SIZE,
    )


def batch_quota_check(batch: Batch) -> QuotaCheck | None:
    """The preview's quota against the batch's ready desktops; None when it was not known."""
    if not batch.quota:
        return None
    numbers = batch_numbers(batch)
    return QuotaCheck(_quotas_from_json(batch.quota), numbers.new_disks, numbers.new_gigabytes)


def batch_with_key(*, actor: Actor, idempotency_key) -> Batch | None:
    return Batch.objects.filter(
        created_by_username=actor.username, idempotency_key=idempotency_key
    ).first()


def batch_preview_create(
    *,
    desktop_ids: Sequence[str],
    volumes: Sequence[VolumeSpec],
    actor: Actor,
    idempotency_key,
    retry_of: Batch | None = None,
    client: WorkspaceClient | None = None,
) -> Batch:
    """Check every desktop against the cloud (a dry run) and save the batch as `previewed`.

    The same key sent again returns the batch it made. Raises ValidationError for what
    stops the whole batch (no desktops, too many, disks the cloud does not sell, the
    desktops cannot be read); a desktop that cannot take the disks is skipped, with why.
    """
    existing = batch_with_key(actor=actor, idempotency_key=idempotency_key)
    if existing is not None:
        return existing
    desktop_ids = list(dict.fromkeys(desktop_ids))
    if not desktop_ids:
        raise ValidationError(_("Choose at least one desktop."))
    if len(desktop_ids) > MAX_BATCH_DESKTOPS:
        raise ValidationError(
            _("A batch takes at most %(max)s desktops; %(count)s were chosen.")
            % {"max": MAX_BATCH_DESKTOPS, "count": len(desktop_ids)}
        )
    client = client or get_client()
    problems = volumes_problems(volumes, client=client)
    if problems:
        raise ValidationError(problems)
    try:
        details = desktops_read(desktop_ids, client=client)
    except WorkspaceError as error:
        raise ValidationError(
            _("Could not read the desktops from the cloud: %(error)s")
            % {"error": error.human_message}
        ) from error
    desktop_details_store(list(details.values()))
    quotas = quotas_read(client=client, fresh=True)
    items = _preview_items(desktop_ids, details, len(volumes))
    fields = {
        "created_by": actor.user,
        "created_by_username": actor.username,
        "idempotency_key": idempotency_key,
        "status": Status.PREVIEWED,
        "volumes": [volume.to_json() for volume in volumes],
        "retry_of": retry_of,
        "previewed_at": timezone.now(),
        "quota": _quotas_to_json(quotas) if quotas else None,
    }
    try:
        with transaction.atomic():
            batch = batch_create(fields=fields, actor=actor, audit=None)
            for item in items:
                item.batch = batch
            BatchItem.objects.bulk_create(items)
    except IntegrityError:
        twin = batch_with_key(actor=actor, idempotency_key=idempotency_key)
        if twin is None:
            raise
        return twin
    return batch


def _preview_items(
    desktop_ids: list[str], details: dict[str, DesktopDetail], new_disks: int
) -> list[BatchItem]:
    in_flight = _in_flight_reasons(desktop_ids)
    names = dict(
        Desktop.objects.filter(desktop_id__in=desktop_ids).values_list(
            "desktop_id", "computer_name"
        )
    )
    items = []
    for desktop_id in desktop_ids:
        detail = details.get(desktop_id)
        reason = desktop_skip_reason(detail, new_disks) or in_flight.get(desktop_id, "")
        items.append(
            BatchItem(
                desktop_id=desktop_id,
                desktop_name=(detail.computer_name if detail else names.get(desktop_id, ""))[:64],
                user_name=(detail.user_name if detail else "")[:64],
                data_disks=len(detail.data_volumes) if detail else None,
                skip_reason=reason,
            )
        )
    return items


def _quotas_to_json(quotas: Quotas) -> dict:
    return {
        name: {"quota": quota.quota, "used": quota.used}
        for name, quota in (("volumes", quotas.volumes), ("gigabytes", quotas.gigabytes))
        if quota is not None
    }


def _quotas_from_json(data: dict) -> Quotas:
    def quota(name: str, api_type: str, unit: str) -> Quota | None:
        if name not in data:
            return None
        return Quota(api_type, data[name]["quota"], data[name]["used"], unit)

    return Quotas(
        volumes=quota("volumes", "volumes", "count"),
        gigabytes=quota("gigabytes", "volume_gigabytes", "GB"),
        request_id=None,
    )


def batch_cut_to_quota(*, batch: Batch) -> int:
    """Leave out the last ready desktops so that the rest fit the quota; return how many.

    Only a previewed batch is cut; the preview's quota numbers are the measure.
    """
    if batch.status != Status.PREVIEWED or not batch.quota:
        return 0
    fit = quota_fit(
        _quotas_from_json(batch.quota), disks_each=batch.disk_count, gigabytes_each=batch.size_gb
    )
    if fit is None:
        return 0
    ready = list(batch.items.filter(skip_reason="").values_list("pk", flat=True))
    left_out = ready[fit:]
    BatchItem.objects.filter(pk__in=left_out).update(
        skip_reason=_("Left out to stay within the quota.")
    )
    return len(left_out)


# Submit ------------------------------------------------------------------------------------


def batch_submit(*, batch: Batch, actor: Actor, client: WorkspaceClient | None = None) -> Batch:
    """Send a previewed batch: check the quota, make the chunks, hand them to the worker.

    1. A batch already submitted is returned as it is: a resent submit is the same batch.
    2. Nothing ready, or the quota (read again now; a read that fails does not block)
       cannot hold the ready desktops' disks: ValidationError, with the numbers.
    3. In one transaction: the chunks of at most BATCH_CHUNK_SIZE ready desktops, and the
       move to `sending` with the batch's audit event (who, how many, the preview's
       numbers). Its compare-and-set lets one of two concurrent submits through.
    4. Once that commits, the worker sends the chunks (services.batch_chunks).
    """
    if batch.status != Status.PREVIEWED:
        return batch
    numbers = batch_numbers(batch)
    if not numbers.ready:
        raise ValidationError(_("No desktop in this batch is ready for the disks."))
    quotas = quotas_read(client=client or get_client(), fresh=True)
    if quotas is not None:
        check = QuotaCheck(quotas, numbers.new_disks, numbers.new_gigabytes)
        if not check.fits:
            raise ValidationError(
                _("The batch would pass the quota: %(shortfall)s.")
                % {"shortfall": check.shortfall()}
            )
    audit = AuditEntry(
        Action.BATCH_SUBMITTED,
        Outcome.PENDING,
        {
            "desktops": numbers.ready + numbers.skipped,
            **numbers.as_details(),
            "volumes": batch.volumes,
        },
    )
    try:
        with transaction.atomic():
            _make_chunks(batch, settings.BATCH_CHUNK_SIZE)
            batch_move(
                batch,
                to=Status.SENDING,
                actor=actor,
                audit=audit,
                changes={"submitted_at": timezone.now(), "send_after": timezone.now()},
            )
    except StaleMove:
        batch.refresh_from_db()
    return batch


def _make_chunks(batch: Batch, size: int) -> None:
    ready = list(batch.items.filter(skip_reason="").values_list("pk", flat=True))
    for number, start in enumerate(range(0, len(ready), size), start=1):
        chunk = BatchChunk.objects.create(batch=batch, number=number)
        BatchItem.objects.filter(pk__in=ready[start : start + size]).update(chunk=chunk)


# Retry -------------------------------------------------------------------------------------

RETRYABLE = (DiskRequest.Status.FAILED, DiskRequest.Status.NEEDS_REVIEW)


def batch_retry_failed(
    *, batch: Batch, actor: Actor, idempotency_key, client: WorkspaceClient | None = None
) -> Batch:
    """Preview a new batch of the desktops whose disks this one did not add.

    There is no retry of a disk job in the cloud (docs/workspace-api.md §13): it is a new
    batch, previewed and submitted as any other, pointing back at this one.
    """
    desktop_ids = list(
        batch.requests.filter(status__in=RETRYABLE).values_list("desktop_id", flat=True)
    )
    if not desktop_ids:
        raise ValidationError(_("No desktop of this batch failed."))
    volumes = [VolumeSpec(**volume) for volume in batch.volumes]
    return batch_preview_create(
        desktop_ids=desktop_ids,
        volumes=volumes,
        actor=actor,
        idempotency_key=idempotency_key,
        retry_of=batch,
        client=client,
    )


def batch_key(batch: Batch, desktop_id: str) -> uuid.UUID:
    """The idempotency key of a batch's request for one desktop (unique per batch key)."""
    return uuid.uuid5(batch.idempotency_key, desktop_id)
