"""The /api/v1/ endpoints: thin, like the pages' views.

Each checks the caller's audience (disks.api.auth.ApiCaller), builds an Actor on channel
API, calls one selector or service and returns a schema. Helpdesk callers see every
desktop and request, and alone delete disks and run batches; end users only their own
desktops (the portal's selectors), adding and expanding within the portal policy, with
approval above its threshold; auditors only the audit history. Every refusal is a problem
body made by disks.api.problems.refusal, with the services' (the forms') messages.
"""

import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from disks import rules, selectors
from disks.access import AUDITOR, END_USER, HELPDESK
from disks.api import problems
from disks.api.auth import ApiCaller
from disks.api.idempotency import (
    body_hash,
    idempotency_claim,
    idempotency_complete,
    key_from_header,
)
from disks.api.schemas import (
    AddDisksRequest,
    AuditEventOut,
    AuditEventPage,
    BatchCreate,
    BatchDesktopOut,
    BatchNumbersOut,
    BatchOut,
    BatchProgressOut,
    DeletionBody,
    DesktopDetail,
    DesktopPage,
    DesktopSummary,
    DiskRequestCreate,
    DiskRequestOut,
    DiskRequestPage,
    DiskTypeList,
    DiskTypeOut,
    ExpandBody,
    Problem,
    QuotaOut,
    RejectBody,
    Volume,
)
from disks.client import VolumeSpec
from disks.cursors import cursor_decode, cursor_encode
from disks.forms import ExpandForm
from disks.models import ApiIdempotencyKey, Batch, Desktop, DiskRequest
from disks.policy import PortalPolicy
from disks.selectors import batches as batch_selectors
from disks.selectors.audit import AuditFilters, audit_event_page
from disks.services.approvals import (
    disk_request_approve,
    disk_request_hold_for_approval,
    disk_request_reject,
    is_own_request,
)
from disks.services.batches import (
    batch_numbers,
    batch_preview_create,
    batch_quota_check,
    batch_submit,
)
from disks.services.inventory import disk_types_offered
from disks.services.quotas import quotas_read
from disks.services.requests import disk_request_submit
from disks.services.volume_changes import disk_delete_submit, disk_expand_submit

router = Router()

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
READ_PROBLEMS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 429: Problem}
ONE_PROBLEMS: dict[int, Any] = {**READ_PROBLEMS, 404: Problem}
WRITE_PROBLEMS: dict[int, Any] = {**ONE_PROBLEMS, 409: Problem, 422: Problem, 503: Problem}
IDEMPOTENCY_HEADER = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "Any unique string (a UUID is best). The same key with the same "
            "body returns the same result; with another body it is refused (422).",
        }
    ]
}


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined]


# Cursors: opaque to clients, JSON inside ------------------------------------------------------


def _cursor_decode(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return cursor_decode(cursor)
    except ValueError:
        raise problems.bad_cursor() from None


def _int_cursor(cursor: str | None) -> int | None:
    value = _cursor_decode(cursor)
    if value is not None and not isinstance(value, int):
        raise problems.bad_cursor()
    return value


# Desktops ------------------------------------------------------------------------------------


@router.get(
    "/desktops",
    response={200: DesktopPage, **READ_PROBLEMS},
    url_name="desktop-list",
    summary="List desktops",
)
def desktop_list(
    request: HttpRequest,
    search: str = "",
    status: str = "",
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Desktops by name: every desktop for the helpdesk, one's own for end users."""
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, END_USER)
    search = search.strip()[:100]
    if audience == HELPDESK:
        desktops = selectors.desktop_list(search=search, status=status)
    else:
        desktops = selectors.desktop_list_for_user(user=caller.user, search=search, status=status)
    after = _cursor_decode(cursor)
    if after is not None and not (isinstance(after, list) and len(after) == 2):
        raise problems.bad_cursor()
    page = selectors.desktop_keyset_page(
        desktops=desktops, after=tuple(after) if after else None, size=limit
    )
    last = page.items[-1] if page.items else None
    return DesktopPage(
        items=[
            DesktopSummary.model_validate(desktop, from_attributes=True) for desktop in page.items
        ],
        next_cursor=cursor_encode([last.computer_name, last.desktop_id])
        if last and page.has_more
        else None,
    )


def _desktop_for(caller: ApiCaller, audience: str, desktop_id: str) -> Desktop:
    """The desktop as its page finds it: any for the helpdesk, one's own for end users (404)."""
    if audience == HELPDESK:
        return selectors.desktop_get(desktop_id=desktop_id)
    return selectors.desktop_get_for_user(user=caller.user, desktop_id=desktop_id)


@router.get(
    "/desktops/{desktop_id}",
    response={200: DesktopDetail, **ONE_PROBLEMS},
    url_name="desktop-detail",
    summary="One desktop with its disks",
)
def desktop_detail(request: HttpRequest, desktop_id: str):
    caller = _caller(request)
    desktop = _desktop_for(caller, caller.audience_for(HELPDESK, END_USER), desktop_id)
    return DesktopDetail.model_validate(desktop, from_attributes=True)


@router.get(
    "/disk-types",
    response={200: DiskTypeList, **READ_PROBLEMS},
    url_name="disk-type-list",
    summary="Disk types on sale (within the portal policy for end users), and the quotas",
)
def disk_type_list(request: HttpRequest):
    audience = _caller(request).audience_for(HELPDESK, END_USER)
    offer = disk_types_offered()
    types, max_gb, max_disks = offer.types, rules.MAX_DISK_GB, rules.MAX_DATA_DISKS_PER_DESKTOP
    if audience == END_USER:
        policy = PortalPolicy.from_settings()
        types, max_gb = policy.offered(types), policy.max_disk_gb
        max_disks = policy.max_disks_per_request
    quotas = quotas_read()
    return DiskTypeList(
        items=[DiskTypeOut.model_validate(t, from_attributes=True) for t in types],
        note=offer.note,
        quota_volumes=_quota(quotas.volumes if quotas else None),
        quota_gigabytes=_quota(quotas.gigabytes if quotas else None),
        max_disk_gb=max_gb,
        max_disks_per_request=max_disks,
    )


def _quota(quota) -> QuotaOut | None:
    return QuotaOut(quota=quota.quota, used=quota.used, unit=quota.unit) if quota else None


# Disk requests -------------------------------------------------------------------------------


def _submit_add(
    request: HttpRequest, caller: ApiCaller, audience: str, desktop_id: str, body: AddDisksRequest
) -> Callable[..., DiskRequest]:
    """Add disks as the matching page does (the portal's policy for end users): the service
    to call, with everything but the idempotency key."""
    volumes = _volume_specs(body.volumes)
    actor = caller.actor(request, audience)
    desktop = _desktop_for(caller, audience, desktop_id)
    if audience == HELPDESK:
        return partial(
            disk_request_submit,
            desktop_id=desktop.desktop_id,
            volumes=volumes,
            actor=actor,
            enterprise_project_id=body.enterprise_project_id or desktop.enterprise_project_id,
        )
    policy = PortalPolicy.from_settings()
    if policy_problems := policy.problems(volumes):
        raise problems.refusal(ValidationError(policy_problems))
    submit = (
        disk_request_hold_for_approval if policy.needs_approval(volumes) else disk_request_submit
    )
    # enterprise_project_id None: the service always uses the desktop's own for end users.
    return partial(
        submit,
        desktop_id=desktop.desktop_id,
        volumes=volumes,
        actor=actor,
        enterprise_project_id=None,
    )


def _volume_specs(volumes: list[Volume]) -> list[VolumeSpec]:
    return [
        VolumeSpec(type=v.type, size=v.size, iops=v.iops, throughput=v.throughput) for v in volumes
    ]


@router.post(
    "/desktops/{desktop_id}/disk-requests",
    response={201: DiskRequestOut, **WRITE_PROBLEMS},
    url_name="disk-request-create",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Ask for disks for a desktop",
)
def disk_request_create(request: HttpRequest, desktop_id: str, body: DiskRequestCreate):
    """Submit (or, for an end user above the approval threshold, hold) a request.

    Answers 201 with the request. A refusal by our checks is a 422 (409 while another
    request for the desktop is in flight); a refusal by the cloud is a 422 with its
    error code and request id, and the request it refused. `Idempotency-Key` makes a retry
    land on the same request.
    """
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, END_USER, write=True)
    key, record = _idempotency(request, caller, body.model_dump())
    if replayed := _replayed(record):
        return replayed
    submit = _submit_add(request, caller, audience, desktop_id, body)
    return _submitted(submit, desktop_id=desktop_id, key=key, record=record)


@router.post(
    "/desktops/{desktop_id}/volumes/{volume_id}/expand",
    response={201: DiskRequestOut, **WRITE_PROBLEMS},
    url_name="volume-expand",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Grow one data disk of a desktop",
)
def volume_expand(request: HttpRequest, desktop_id: str, volume_id: str, body: ExpandBody):
    """Expand a data disk to `new_size` GB, as the expand page does.

    The helpdesk expands any desktop's disks; end users their own desktops' disks, up to
    the portal policy's size, and above its approval threshold the request waits for a
    helpdesk member (`pending_approval`). Answers 201 with the request (`kind` `expand`);
    refusals as for disk-requests.
    """
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, END_USER, write=True)
    key, record = _idempotency(request, caller, body.model_dump())
    if replayed := _replayed(record):
        return replayed
    desktop = _desktop_for(caller, audience, desktop_id)
    policy = PortalPolicy.from_settings() if audience == END_USER else None
    form = ExpandForm(
        {"new_size": body.new_size, "idempotency_key": key},
        disk=selectors.data_volume_get(desktop=desktop, volume_id=volume_id),
        max_size_gb=policy.max_disk_gb if policy else rules.MAX_DISK_GB,
    )
    if not form.is_valid():
        raise problems.refusal(ValidationError(form.errors.as_data()))
    submit = partial(
        disk_expand_submit,
        desktop_id=desktop.desktop_id,
        new_sizes=form.new_sizes(),
        actor=caller.actor(request, audience),
        hold_for_approval=policy is not None and policy.expand_needs_approval(form.added_gb),
    )
    return _submitted(submit, desktop_id=desktop_id, key=key, record=record)


@router.post(
    "/desktops/{desktop_id}/volume-deletions",
    response={201: DiskRequestOut, **WRITE_PROBLEMS},
    url_name="volume-deletion-create",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Delete data disks of a desktop (helpdesk; a second member approves)",
)
def volume_deletion_create(request: HttpRequest, desktop_id: str, body: DeletionBody):
    """Ask to delete data disks, permanently (helpdesk only, as on the pages).

    Unless DELETE_REQUIRES_APPROVAL is off, the request (`kind` `delete`) answers
    `pending_approval` and waits for another helpdesk member's
    `POST /disk-requests/{id}/approve`. The page's typed confirmation is the desktop and
    disk ids named in the call.
    """
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, write=True)
    key, record = _idempotency(request, caller, body.model_dump())
    if replayed := _replayed(record):
        return replayed
    desktop = selectors.desktop_get(desktop_id=desktop_id)
    submit = partial(
        disk_delete_submit,
        desktop_id=desktop.desktop_id,
        volume_ids=body.volume_ids,
        confirmation=desktop.computer_name,
        actor=caller.actor(request, audience),
    )
    return _submitted(submit, desktop_id=desktop_id, key=key, record=record)


def _idempotency(
    request: HttpRequest, caller: ApiCaller, payload: Any
) -> tuple[uuid.UUID, ApiIdempotencyKey | None]:
    key = key_from_header(request)
    if key is None:
        return uuid.uuid4(), None
    record = idempotency_claim(user=caller.user, key=key, digest=body_hash(request, payload))
    return key, record


def _replayed(record: ApiIdempotencyKey | None) -> Status | None:
    """The answer to a retry of a request already made with this key, as it is now.

    Before any check: the checks may no longer pass (the disk is now that size).
    """
    if record is None or record.disk_request_id is None:
        return None
    return _answer(selectors.disk_request_get(pk=record.disk_request_id))


def _submitted(
    submit: Callable[..., DiskRequest],
    *,
    desktop_id: str,
    key: uuid.UUID,
    record: ApiIdempotencyKey | None,
) -> Status:
    """Call a service that makes a request; 201 with it, or its refusal as a problem."""
    try:
        disk_request = submit(idempotency_key=key)
    except (ValidationError, PermissionDenied) as error:
        in_flight = selectors.disk_request_in_flight_for_desktop(desktop_id=desktop_id)
        raise problems.refusal(error, conflict=in_flight is not None) from None
    if record is not None:
        idempotency_complete(record, disk_request)
    return _answer(disk_request)


def _answer(disk_request: DiskRequest) -> Status:
    if disk_request.status == DiskRequest.Status.FAILED and not disk_request.job_id:
        raise problems.cloud_refused(disk_request)
    return Status(201, DiskRequestOut.from_model(disk_request))


@router.get(
    "/disk-requests",
    response={200: DiskRequestPage, **READ_PROBLEMS},
    url_name="disk-request-list",
    summary="List disk requests, newest first",
)
def disk_request_list(
    request: HttpRequest,
    status: str = "",
    desktop: str = "",
    requester: str = "",
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Every request for the helpdesk (filters as on the requests page); one's own for end users."""
    caller = _caller(request)
    if caller.audience_for(HELPDESK, END_USER) == HELPDESK:
        disk_requests = selectors.disk_request_list(
            status=status, desktop=desktop.strip()[:100], requester=requester.strip()[:150]
        )
    else:
        disk_requests = selectors.disk_request_list_for_user(user=caller.user, status=status)
    page = selectors.disk_request_keyset_page(
        disk_requests=disk_requests, before=_int_cursor(cursor), size=limit
    )
    return DiskRequestPage(
        items=[DiskRequestOut.from_model(item) for item in page.items],
        next_cursor=cursor_encode(page.items[-1].pk) if page.has_more else None,
    )


def _disk_request_for(caller: ApiCaller, audience: str, pk: int) -> DiskRequest:
    if audience == HELPDESK:
        return selectors.disk_request_get(pk=pk)
    return selectors.disk_request_get_for_user(user=caller.user, pk=pk)


@router.get(
    "/disk-requests/{request_id}",
    response={200: DiskRequestOut, **ONE_PROBLEMS},
    url_name="disk-request-detail",
    summary="One disk request: status, progress, sub-jobs, the cloud's job id",
)
def disk_request_detail(request: HttpRequest, request_id: int):
    """Reads the database only, like the request page: poll it until `is_terminal`."""
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, END_USER)
    return DiskRequestOut.from_model(_disk_request_for(caller, audience, request_id))


@router.post(
    "/disk-requests/{request_id}/approve",
    response={200: DiskRequestOut, **WRITE_PROBLEMS},
    url_name="disk-request-approve",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Approve a request waiting for approval (helpdesk; never one's own)",
)
def disk_request_approve_endpoint(request: HttpRequest, request_id: int):
    return _decide(request, request_id, None)


@router.post(
    "/disk-requests/{request_id}/reject",
    response={200: DiskRequestOut, **WRITE_PROBLEMS},
    url_name="disk-request-reject",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Reject a request waiting for approval, with a reason (helpdesk)",
)
def disk_request_reject_endpoint(request: HttpRequest, request_id: int, body: RejectBody):
    return _decide(request, request_id, body.reason)


def _decide(request: HttpRequest, request_id: int, reason: str | None):
    """Approve (reason None) or reject; a retry with the same key returns the decided request."""
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, write=True)
    disk_request = _disk_request_for(caller, audience, request_id)
    _key, record = _idempotency(request, caller, {"reason": reason})
    if record is not None and record.disk_request_id == disk_request.pk:
        disk_request.refresh_from_db()
        return Status(200, DiskRequestOut.from_model(disk_request))
    actor = caller.actor(request, audience)
    try:
        if reason is None:
            decided = disk_request_approve(disk_request=disk_request, actor=actor)
        else:
            decided = disk_request_reject(disk_request=disk_request, actor=actor, reason=reason)
    except ValidationError as error:
        if is_own_request(disk_request, actor):
            raise problems.refusal(PermissionDenied(*error.messages)) from None
        disk_request.refresh_from_db()
        decided_already = disk_request.status != DiskRequest.Status.PENDING_APPROVAL
        raise problems.refusal(error, conflict=decided_already) from None
    if record is not None:
        idempotency_complete(record, decided)
    return Status(200, DiskRequestOut.from_model(decided))


# Batches (helpdesk) --------------------------------------------------------------------------


@router.post(
    "/batches",
    response={201: BatchOut, **WRITE_PROBLEMS},
    url_name="batch-create",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Preview a batch: the same disks for many desktops (helpdesk; a dry run)",
)
def batch_create_endpoint(request: HttpRequest, body: BatchCreate):
    """Check every desktop against the cloud and save the batch `previewed` (nothing is sent).

    Answers 201 with the preview: each desktop ready or skipped with the reason, the numbers
    and the quota. Send it with `POST /batches/{id}/submit`.
    """
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, write=True)
    key, _record = _idempotency(request, caller, body.model_dump())
    try:
        batch = batch_preview_create(
            desktop_ids=body.desktop_ids,
            volumes=_volume_specs(body.volumes),
            actor=caller.actor(request, audience),
            idempotency_key=key,
        )
    except ValidationError as error:
        raise problems.refusal(error) from None
    return Status(201, _batch_out(batch))


@router.post(
    "/batches/{batch_id}/submit",
    response={200: BatchOut, **WRITE_PROBLEMS},
    url_name="batch-submit",
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Send a previewed batch (helpdesk); the worker sends it in chunks",
)
def batch_submit_endpoint(request: HttpRequest, batch_id: int):
    """Check the quota again and hand the batch to the worker (`sending`).

    A batch already submitted is answered as it is: a resent submit sends nothing twice.
    Poll `GET /batches/{id}` until `is_finished`.
    """
    caller = _caller(request)
    audience = caller.audience_for(HELPDESK, write=True)
    batch = batch_selectors.batch_get(pk=batch_id)
    _idempotency(request, caller, {})
    try:
        batch = batch_submit(batch=batch, actor=caller.actor(request, audience))
    except ValidationError as error:
        raise problems.refusal(error) from None
    return Status(200, _batch_out(batch))


@router.get(
    "/batches/{batch_id}",
    response={200: BatchOut, **ONE_PROBLEMS},
    url_name="batch-detail",
    summary="One batch: its summary and each desktop's status (helpdesk)",
)
def batch_detail(request: HttpRequest, batch_id: int):
    """Reads the database only, like the batch page: poll it until `is_finished`."""
    _caller(request).audience_for(HELPDESK)
    return _batch_out(batch_selectors.batch_get(pk=batch_id))


def _batch_out(batch: Batch) -> BatchOut:
    check = batch_quota_check(batch)
    progress = batch_selectors.batch_progress(batch)
    quota = batch.quota or {}
    return BatchOut(
        id=batch.pk,
        status=batch.status,  # type: ignore[arg-type]
        status_label=str(batch.get_status_display()),
        is_finished=batch.is_finished,
        created_by=batch.created_by_username,
        volumes=batch.volumes,
        retry_of=batch.retry_of_id,
        created_at=batch.created_at,
        previewed_at=batch.previewed_at,
        submitted_at=batch.submitted_at,
        finished_at=batch.finished_at,
        quota_volumes=_stored_quota(quota, "volumes", "count"),
        quota_gigabytes=_stored_quota(quota, "gigabytes", "GB"),
        quota_fits=check.fits if check else None,
        quota_shortfall=check.shortfall() if check else "",
        numbers=BatchNumbersOut(**batch_numbers(batch).as_details()),
        progress=BatchProgressOut(
            total=progress.total,
            skipped=progress.skipped,
            succeeded=progress.done,
            failed=progress.failed,
            running=progress.running,
            waiting=progress.waiting,
            percent=progress.percent,
        ),
        desktops=[_batch_desktop(row) for row in batch_selectors.batch_rows(batch)],
    )


def _stored_quota(quota: dict[str, Any], name: str, unit: str) -> QuotaOut | None:
    if name not in quota:
        return None
    return QuotaOut(quota=quota[name]["quota"], used=quota[name]["used"], unit=unit)


def _batch_desktop(row: batch_selectors.BatchRow) -> BatchDesktopOut:
    item, disk_request = row.item, row.request
    status = disk_request.status if disk_request else "waiting"
    return BatchDesktopOut(
        desktop_id=item.desktop_id,
        desktop_name=item.desktop_name,
        user_name=item.user_name,
        data_disks=item.data_disks,
        skip_reason=item.skip_reason,
        status="skipped" if item.skip_reason else status,
        disk_request=DiskRequestOut.from_model(disk_request) if disk_request else None,
    )


# Audit history -------------------------------------------------------------------------------


@router.get(
    "/audit-events",
    response={200: AuditEventPage, **READ_PROBLEMS},
    url_name="audit-event-list",
    summary="The audit history, newest first (auditors)",
)
def audit_event_list(
    request: HttpRequest,
    date_from: date | None = None,
    date_to: date | None = None,
    actor: str = "",
    desktop: str = "",
    action: str = "",
    outcome: str = "",
    q: str = "",
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """Filters as on the audit page (dates are UTC, inclusive); keyset pages by sequence."""
    _caller(request).audience_for(AUDITOR)
    filters = AuditFilters(
        date_from=date_from,
        date_to=date_to,
        actor=actor.strip()[:150],
        desktop=desktop.strip()[:100],
        action=action,
        outcome=outcome,
        q=q.strip()[:100],
    )
    page = audit_event_page(filters=filters, before=_int_cursor(cursor), size=limit)
    return AuditEventPage(
        items=[AuditEventOut.model_validate(event, from_attributes=True) for event in page.events],
        next_cursor=cursor_encode(page.older_before) if page.older_before else None,
    )
