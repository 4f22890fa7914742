"""One HTTP call with timeouts, retries, logging and error mapping; nothing API-specific."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from .errors import (
    WorkspaceBadResponse,
    WorkspaceError,
    WorkspaceRefused,
    WorkspaceUnavailable,
)
from .signing import canonical_query

logger = logging.getLogger("disks.client")

# Called after every attempt with (operation, result code, seconds): the metrics hook, set by
# disks.metrics.install() so that this module stays free of Django and prometheus-client.
call_observer: Callable[[str, str, float], None] | None = None

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_DELAY = 30.0


@dataclass(frozen=True)
class Call:
    """What to send: the query is sent in the signer's canonical order, as the SDK does."""

    operation: str
    method: str
    url: str
    query: tuple[tuple[str, object], ...] = ()
    body: dict | None = None
    service: str = "the Workspace API"

    @property
    def idempotent(self) -> bool:
        return self.method == "GET"

    @property
    def full_url(self) -> str:
        query = canonical_query(self.query)
        return f"{self.url}?{query}" if query else self.url


@dataclass(frozen=True)
class Reply:
    operation: str
    idempotent: bool
    status: int
    data: dict
    headers: Mapping[str, str] = field(repr=False)
    request_id: str | None


class Transport:
    """Send calls over one shared Session; raise only WorkspaceError subclasses."""

    def __init__(
        self,
        session: requests.Session,
        *,
        timeout: tuple[float, float],
        get_retries: int,
        retry_backoff: float,
        sleep: Callable[[float], None],
        headers: Mapping[str, str],
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.get_retries = get_retries
        self.retry_backoff = retry_backoff
        self.sleep = sleep
        self.headers = dict(headers)

    def send(self, call: Call, auth: requests.auth.AuthBase | None, *, may_retry=None) -> Reply:
        """Send one call, retrying as the policy allows, and return the 2xx reply.

        GETs (and calls marked may_retry) are retried on connection errors, timeouts, 429 and
        502/503/504. Other calls (POSTs) are retried only when the connection could not be
        opened, because then the request never left: anything later may have been applied.
        """
        retryable = call.idempotent if may_retry is None else may_retry
        body = json.dumps(call.body).encode() if call.body is not None else None
        attempt, renewed = 0, False
        while True:
            attempt += 1
            response, error = self._attempt(call, auth, body, attempt)
            if error is not None:
                if attempt <= self.get_retries and (retryable or _never_sent(error)):
                    self._pause(attempt, None)
                    continue
                # Keep the cause (DNS, refused, timeout) for diagnostics such as workspace_check.
                raise self._connection_error(call, error, retryable) from error
            if response.status_code == 401 and not renewed and _renew(auth, response):
                renewed = True
                continue
            if response.status_code in RETRY_STATUSES and retryable and attempt <= self.get_retries:
                self._pause(attempt, _retry_after(response))
                continue
            return _reply(call, response, retryable)

    def _attempt(self, call, auth, body, attempt):
        """Send once and log it; return (response, None) or (None, the requests exception)."""
        headers = dict(self.headers)
        headers["Host"] = urlsplit(call.url).netloc
        started = time.monotonic()
        try:
            response = self.session.request(
                call.method,
                call.full_url,
                data=body,
                headers=headers,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            _log(call, type(exc).__name__, started, None, attempt, logging.WARNING)
            return None, exc
        level = logging.INFO if response.status_code < 400 else logging.WARNING
        _log(call, response.status_code, started, _request_id(response), attempt, level)
        return response, None

    def _pause(self, attempt: int, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else self.retry_backoff * 2 ** (attempt - 1)
        self.sleep(min(delay, MAX_RETRY_DELAY))

    def _connection_error(self, call, exc, retryable) -> WorkspaceUnavailable:
        parts = urlsplit(call.url)
        reason = _("timed out") if isinstance(exc, requests.Timeout) else _("connection failed")
        return WorkspaceUnavailable(
            call.operation,
            outcome_unknown=not retryable and not _never_sent(exc),
            message=_("Could not reach %(service)s at %(address)s: %(reason)s (%(error)s)")
            % {
                "service": call.service,
                "address": f"{parts.scheme}://{parts.netloc}",
                "reason": reason,
                "error": type(exc).__name__,
            },
        )


def _reply(call: Call, response: requests.Response, retryable: bool) -> Reply:
    """Turn a final response into a Reply or raise the matching error."""
    request_id = _request_id(response)
    data, problem = _decode(response)
    status = response.status_code
    if 200 <= status < 300 and problem is None and isinstance(data, dict):
        return Reply(call.operation, retryable, status, data, response.headers, request_id)
    if status < 400:
        problem = problem or ("not a JSON object" if status < 300 else "an unexpected redirect")
        raise WorkspaceBadResponse(
            call.operation,
            status=status,
            request_id=request_id,
            outcome_unknown=not retryable,
            message=_("%(service)s sent an unreadable answer: %(problem)s")
            % {"service": _capital(call.service), "problem": problem},
        )
    raise _status_error(call, response, data, request_id, retryable)


def _status_error(call, response, data, request_id, retryable) -> WorkspaceError:
    status = response.status_code
    fields = _error_fields(data)
    body_request_id = fields.pop("request_id")
    request_id = request_id or body_request_id
    if status in RETRY_STATUSES or status >= 500:
        return WorkspaceUnavailable(
            call.operation,
            status=status,
            request_id=request_id,
            retry_after=_retry_after(response),
            outcome_unknown=not retryable and status >= 500,
            **fields,
        )
    return WorkspaceRefused(call.operation, status=status, request_id=request_id, **fields)


def _decode(response: requests.Response) -> tuple[object, str | None]:
    """Return (json, None) or (None, what was wrong with the body)."""
    text = response.content.strip()
    if not text:
        return None, "empty body"
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type or text[:1] == b"<":
        return None, "an HTML page instead of JSON"
    try:
        return json.loads(text), None
    except ValueError:
        return None, "malformed JSON"


def _error_fields(data: object) -> dict:
    """Pick the error fields from any of the shapes the SDK's exception handler accepts."""
    found = dict(data) if isinstance(data, dict) else {}
    for key, value in list(found.items()):
        if isinstance(value, dict) and key in ("error", "errors"):
            found = {**value, **found}
    code = found.get("error_code") or found.get("errorCode") or found.get("code")
    msg = found.get("error_msg") or found.get("errorMsg") or found.get("message")
    return {
        "error_code": None if code is None else str(code),
        "error_msg": None if msg is None else str(msg),
        "error_detail": found.get("error_detail"),
        "encoded_authorization_message": found.get("encoded_authorization_message"),
        "request_id": found.get("request_id"),
    }


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection could not be opened, so no byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _renew(auth, response: requests.Response) -> bool:
    renew = getattr(auth, "renew", None)
    return bool(renew and renew(response.request))


def _retry_after(response: requests.Response) -> float | None:
    """Read Retry-After as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _request_id(response: requests.Response) -> str | None:
    return response.headers.get("X-Request-Id")


def _log(call: Call, status, started: float, request_id, attempt: int, level: int) -> None:
    """Write the one line per attempt; the URL path only, never headers or bodies."""
    duration_ms = (time.monotonic() - started) * 1000
    path = urlsplit(call.url).path
    logger.log(
        level,
        "workspace call operation=%s method=%s path=%s status=%s duration_ms=%d "
        "request_id=%s attempt=%d",
        call.operation,
        call.method,
        path,
        status,
        duration_ms,
        request_id or "-",
        attempt,
        # The same as fields, for JSON logs (workspace_admin/logging.py).
        extra={
            "operation": call.operation,
            "method": call.method,
            "path": path,
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "cloud_request_id": request_id or "",
            "attempt": attempt,
        },
    )
    if call_observer is not None:
        call_observer(call.operation, str(status), duration_ms / 1000)
