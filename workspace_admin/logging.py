"""Structured logs: who, which request, which desktop, on every line, across web and worker.

One grep for a request id follows a click from the browser to the end of the cloud job:

1. `RequestIdMiddleware` takes the id from `X-Request-ID` when a trusted proxy set it
   (TRUSTED_PROXY_COUNT > 0; the value is checked, a forged header from a client that
   reaches us directly is ignored), else makes one, returns it in the response header and
   puts it, the actor and the desktop and request ids of the URL in context variables.
2. A disk request saved during that web request keeps the id (`DiskRequest.request_id`,
   defaulting to `current_request_id()`); the worker's poll task puts it back in context.
3. `ContextFilter` copies the context onto every log record; `JsonFormatter` writes one JSON
   object per line (LOG_FORMAT=json), `TextFormatter` a readable line for development.

No secret, token or password reaches a line: the formatters mask secret-looking
`key=value` pairs and URL credentials in the message, and drop secret-looking extra fields.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from disks.observability.context import (
    CONTEXT,
    desktop_id_var,
    disk_request_id_var,
    log_context,
    new_request_id,
)

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# Extra fields a log call may pass (`extra={...}`) that the JSON line carries as they are.
STRUCTURED_FIELDS = (
    "operation",
    "method",
    "path",
    "status",
    "duration_ms",
    "cloud_request_id",
    "attempt",
    "task",
    "event",
    "action",
    "outcome",
    "sequence",
    "view",
)

_SECRET_NAME = r"(?:pass(?:word)?|passwd|secret|token|authori[sz]ation|signature|api[_-]?key|cookie|sessionid|csrftoken)"  # noqa: S105 (a pattern, not a password)
_SECRET_PAIR = re.compile(
    rf"(?i)\b([\w-]*{_SECRET_NAME}|(?:[\w-]*_)?sk)([\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^@\s/]+@")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_FIELD = re.compile(rf"(?i){_SECRET_NAME}|(?:^|_)sk$")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Mask secret-looking `name=value` pairs, URL passwords and bearer tokens in a line."""
    text = _URL_CREDENTIALS.sub(rf"\1:{REDACTED}@", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _SECRET_PAIR.sub(rf"\1\2{REDACTED}", text)


class ContextFilter(logging.Filter):
    """Copy the current request id, actor, desktop and request ids onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT.items():
            if not getattr(record, name, ""):
                setattr(record, name, var.get())
        return True


def _message(record: logging.LogRecord) -> str:
    message = record.getMessage()
    if record.exc_info:
        message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
    return redact(message)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context, the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            "process": record.process,
        }
        for name in (*CONTEXT, *STRUCTURED_FIELDS):
            value = getattr(record, name, None)
            if value not in (None, "") and not (name not in CONTEXT and _SECRET_FIELD.search(name)):
                line[name] = redact(value) if isinstance(value, str) else value
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A readable line for development, ending with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args, record.exc_info, record.exc_text
        record.msg, record.args, record.exc_info, record.exc_text = _message(record), (), None, None
        try:
            line = super().format(record)
        finally:
            record.msg, record.args, record.exc_info, record.exc_text = saved
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in ("request_id", "actor", "desktop_id", "disk_request_id")
            if getattr(record, name, "")
        )
        return f"{line} [{ids}]" if ids else line


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: one console stream, JSON or text, with the context filter."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "workspace_admin.logging.ContextFilter"}},
        "formatters": {
            "json": {"()": "workspace_admin.logging.JsonFormatter"},
            "text": {"()": "workspace_admin.logging.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # axes logs every login reset at INFO; its warnings (lock-outs) still show.
        "loggers": {
            "urllib3": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
            # One line per request is ours (workspace_admin.request); runserver's is noise.
            "django.server": {"level": "WARNING"},
        },
    }


request_logger = logging.getLogger("workspace_admin.request")


def _incoming_request_id(request: HttpRequest) -> str:
    if settings.TRUSTED_PROXY_COUNT > 0:
        given = request.headers.get(REQUEST_ID_HEADER, "").strip()
        if _VALID_REQUEST_ID.match(given):
            return given
    return new_request_id()


class RequestIdMiddleware:
    """Give each request an id, log one line when it ends, and time it for the metrics.

    Placed after AuthenticationMiddleware, so that the actor is known. The desktop and
    request ids come from the URL (`desktop_id`, `pk`) in process_view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        request_id = _incoming_request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        actor = user.get_username() if user is not None and user.is_authenticated else ""
        with log_context(request_id=request_id, actor=actor, desktop_id="", disk_request_id=""):
            response = self.get_response(request)
            duration = time.monotonic() - started
            view = getattr(request, "_view_name", "") or "other"
            request_logger.info(
                "%s %s %s %dms",
                request.method,
                request.path,
                response.status_code,
                duration * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                    "view": view,
                },
            )
            _observe_http(request.method or "", view, response.status_code, duration)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        match = request.resolver_match
        request._view_name = (match.view_name if match else "") or ""  # type: ignore[attr-defined]
        if "desktop_id" in view_kwargs:
            desktop_id_var.set(str(view_kwargs["desktop_id"]))
        if "pk" in view_kwargs and "request" in request._view_name:  # type: ignore[attr-defined]
            disk_request_id_var.set(str(view_kwargs["pk"]))


def _observe_http(method: str, view: str, status: int, seconds: float) -> None:
    from disks import metrics  # the metrics module needs the apps; this module must not

    metrics.http_request_observe(method=method, view=view, status=status, seconds=seconds)
