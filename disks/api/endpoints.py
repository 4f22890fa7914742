"""The /api/v1/ endpoints: thin, like the pages' views.

Each checks the caller's audience (disks.api.auth.ApiCaller), builds an Actor on channel
API, calls one selector or service and returns a schema. Helpdesk callers see every
desktop and request; end users only their own (the portal's selectors), with the portal
policy and approval above its threshold; auditors only the audit history.
"""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
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
    DesktopDetail,
    DesktopPage,
    DesktopSummary,
    DiskRequestCreate,
    DiskRequestOut,
    DiskRequestPage,
    DiskTypeList,
    DiskTypeOut,
    Problem,
    QuotaOut,
    RejectBody,
)
from disks.client import VolumeSpec
from disks.cursors import cursor_decode, cursor_encode
from disks.models import DiskRequest
from disks.policy import PortalPolicy
from disks.selectors.audit import AuditFilters, audit_event_page
from disks.services.approvals import (
    disk_request_approve,
    disk_request_hold_for_approval,
    disk_request_reject,
    is_own_request,
)
from disks.services.inventory import disk_types_offered
from disks.services.quotas import quotas_read
from disks.services.requests import disk_request_submit

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


def _cursor_encode(value: Any) -> str:
    return cursor_encode(value)


def _cursor_decode(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return cursor_decode(cursor)
    except ValueError:
        raise problems.invalid_body(
            [{"field": "cursor", "message": _("This cursor is not one the API gave.")}]
        ) from None


def _int_cursor(cursor: str | None) -> int | None:
    value = _cursor_decode(cursor)
    if value is not None and not isinstance(value, int):
        raise problems.invalid_body(
            [{"field": "cursor", "message": _("This cursor is not one the API gave.")}]
        )
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
        raise problems.invalid_body(
            [{"field": "cursor", "message": _("This cursor is not one the API gave.")}]
        )
    page = selectors.desktop_keyset_page(
        desktops=desktops, after=tuple(after) if after else None, size=limit
    )
    last = page.items[-1] if page.items else None
    return DesktopPage(
        items=[
            DesktopSummary.model_validate(desktop, from_attributes=True) for desktop in page.items
        ],
        next_cursor=_cursor_encode([last.computer_name, last.desktop_id])
        if last and page.has_more
        else None,
    )


@router.get(
    "/desktops/{desktop_id}",
    response={200: DesktopDetail, **ONE_PROBLEMS},
    url_name="desktop-detail",
    summary="One desktop with its disks",
)
def desktop_detail(request: HttpRequest, desktop_id: str):
    caller = _caller(request)
    if caller.audience_for(HELPDESK, END_USER) == HELPDESK:
        desktop = selectors.desktop_get(desktop_id=desktop_id)
    else:
        desktop = selectors.desktop_get_for_user(user=caller.user, desktop_id=desktop_id)
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

# Submits one kind of request: (request, caller, audience, desktop_id, body, key) -> DiskRequest.
Submitter = Callable[[HttpRequest, ApiCaller, str, str, Any, uuid.UUID], DiskRequest]


def _submit_add(
    request: HttpRequest,
    caller: ApiCaller,
    audience: str,
    desktop_id: str,
    body: AddDisksRequest,
    key: uuid.UUID,
) -> DiskRequest:
    """Add disks as the matching page does: the portal's policy for end users."""
    volumes = [
        VolumeSpec(type=v.type, size=v.size, iops=v.iops, throughput=v.throughput)
        for v in body.volumes
    ]
    actor = caller.actor(request, audience)
    if audience == HELPDESK:
        desktop = selectors.desktop_get(desktop_id=desktop_id)
        return disk_request_submit(
            desktop_id=desktop.desktop_id,
            volumes=volumes,
            actor=actor,
            idempotency_key=key,
            enterprise_project_id=body.enterprise_project_id or desktop.enterprise_project_id,
        )
    desktop = selectors.desktop_get_for_user(user=caller.user, desktop_id=desktop_id)
    policy = PortalPolicy.from_settings()
    if policy_problems := policy.problems(volumes):
        raise ValidationError(policy_problems)
    submit = (
        disk_request_hold_for_approval if policy.needs_approval(volumes) else disk_request_submit
    )
    return submit(
        desktop_id=desktop.desktop_id,
        volumes=volumes,
        actor=actor,
        idempotency_key=key,
        # None: the service always uses the desktop's own enterprise project for end users.
        enterprise_project_id=None,
    )


# EXTENSION POINT (batch, expand, delete): one submitter per `kind` of the request body
# (disks/api/schemas.py), each calling its own service as its page does.
SUBMITTERS: dict[str, Submitter] = {DiskRequest.Kind.ADD: _submit_add}


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
    try:
        disk_request = SUBMITTERS[body.kind](request, caller, audience, desktop_id, body, key)
    except ValidationError as error:
        in_flight = selectors.disk_request_in_flight_for_desktop(desktop_id=desktop_id)
        raise problems.refused(error, status=409 if in_flight else 422) from None
    if record is not None:
        idempotency_complete(record, disk_request)
    if disk_request.status == DiskRequest.Status.FAILED and not disk_request.job_id:
        raise _cloud_refusal(disk_request)
    return Status(201, DiskRequestOut.from_model(disk_request))


def _idempotency(request: HttpRequest, caller: ApiCaller, payload: Any):
    key = key_from_header(request)
    if key is None:
        return uuid.uuid4(), None
    record = idempotency_claim(user=caller.user, key=key, digest=body_hash(request, payload))
    return key, record


def _cloud_refusal(disk_request: DiskRequest) -> problems.ApiProblem:
    return problems.ApiProblem(
        422,
        _("Refused by the cloud"),
        disk_request.error_message,
        kind="cloud-refused",
        extra={
            "error_code": disk_request.error_code,
            "api_request_id": disk_request.api_request_id,
            "disk_request": disk_request.pk,
        },
    )


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
        next_cursor=_cursor_encode(page.items[-1].pk) if page.has_more else None,
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
            raise problems.forbidden(" ".join(error.messages)) from None
        disk_request.refresh_from_db()
        decided_already = disk_request.status != DiskRequest.Status.PENDING_APPROVAL
        raise problems.refused(error, status=409 if decided_already else 422) from None
    if record is not None:
        idempotency_complete(record, decided)
    return Status(200, DiskRequestOut.from_model(decided))


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
        next_cursor=_cursor_encode(page.older_before) if page.older_before else None,
    )
