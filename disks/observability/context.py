"""The ids of what is being done now (request, actor, desktop, disk request), for the logs.

Context variables, so that every log line of a web request or a task carries them without
passing them around: `workspace_admin.logging` fills them for web requests and copies them
onto log records; the poll task fills them from the DiskRequest row. Imports nothing of the
project, so that models may use `current_request_id` as a default.
"""

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
actor_var: contextvars.ContextVar[str] = contextvars.ContextVar("actor", default="")
desktop_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("desktop_id", default="")
disk_request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "disk_request_id", default=""
)
CONTEXT: dict[str, contextvars.ContextVar[str]] = {
    "request_id": request_id_var,
    "actor": actor_var,
    "desktop_id": desktop_id_var,
    "disk_request_id": disk_request_id_var,
}


def current_request_id() -> str:
    """The id of the web request (or task) being served, or "" outside one."""
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Put ids in the logging context for the block (request_id, actor, desktop_id, ...).

    On leaving, each id is what it was before, even if code inside set it again.
    """
    tokens = [
        (CONTEXT[name], CONTEXT[name].set("" if value is None else str(value)))
        for name, value in values.items()
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
