"""`Idempotency-Key` on API writes: the same key and body is the same operation.

The header's value becomes a UUID (uuid5), which the services already scope to their
requester; a hash of the method, path and body is kept with it, so the same key sent with
another body (or to another endpoint) is refused (422) rather than taken for the first.
"""

import hashlib
import json
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from disks.api import problems
from disks.models import ApiIdempotencyKey, DiskRequest

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
# Fixed: the same header value must give the same UUID in every process and release.
NAMESPACE = uuid.UUID("5b0d6c3e-9a0f-4f7e-8f3c-1d2b9c5e7a41")


def key_from_header(request: HttpRequest) -> uuid.UUID | None:
    value = request.headers.get(HEADER, "").strip()
    if not value:
        return None
    if len(value) > MAX_LENGTH:
        raise problems.ApiProblem(
            400,
            _("Invalid request"),
            _("The Idempotency-Key header is longer than %(max)s characters.")
            % {"max": MAX_LENGTH},
            kind="invalid-request",
        )
    return uuid.uuid5(NAMESPACE, value)


def body_hash(request: HttpRequest, payload: Any) -> str:
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_claim(*, user: Any, key: uuid.UUID, digest: str) -> ApiIdempotencyKey:
    """The record of this key for this user, made now if new; 422 if its body differs."""
    record = ApiIdempotencyKey.objects.filter(user=user, key=key).first()
    if record is None:
        try:
            with transaction.atomic():
                record = ApiIdempotencyKey.objects.create(user=user, key=key, body_hash=digest)
        except IntegrityError:  # the same key at the same moment
            record = ApiIdempotencyKey.objects.get(user=user, key=key)
    if record.body_hash != digest:
        raise problems.ApiProblem(
            422,
            _("Idempotency key reused"),
            _(
                "This Idempotency-Key was already used with another request body or endpoint; "
                "use a new key for a new request."
            ),
            kind="idempotency-key-reused",
        )
    return record


def idempotency_complete(record: ApiIdempotencyKey, disk_request: DiskRequest) -> None:
    ApiIdempotencyKey.objects.filter(pk=record.pk).update(disk_request=disk_request)
