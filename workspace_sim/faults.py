"""Injected faults: the next N calls of one operation misbehave in a chosen way.

Kinds: `status` (that status and body), `stall` (wait, then answer normally), `drop` (close
the connection without answering), `malformed` (200 with broken JSON), `html` (an HTML error
page, as a proxy in front of the API would send), `empty` (no body at all).
"""

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass, field

from workspace_sim import errors
from workspace_sim.wire import Response

KINDS = ("status", "stall", "drop", "malformed", "html", "empty")
BROKEN_JSON = b'{"job_id": "6f1c2a3b-0d4e-4f5a-9b8c-7d6e5f4a3b2c", "getJobEndpoint": '
HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} Error</title></head>\n"
    "<body><h1>{status} Error</h1><p>The upstream server did not answer.</p></body></html>\n"
)


@dataclass
class Fault:
    operation: str
    kind: str
    count: int = 1
    status: int | None = None
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float | None = None


class FaultBook:
    """Pending faults per operation, used up first in, first out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, deque[Fault]] = {}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.setdefault(fault.operation, deque()).append(fault)

    def take(self, operation: str) -> Fault | None:
        """Use one call of the operation's first pending fault, if any."""
        with self._lock:
            queue = self._pending.get(operation)
            if not queue:
                return None
            fault = queue[0]
            fault.count -= 1
            if fault.count <= 0:
                queue.popleft()
            return fault

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def pending(self) -> list[dict]:
        with self._lock:
            return [asdict(fault) for queue in self._pending.values() for fault in queue]


def response_for(fault: Fault) -> Response:
    """The response a non-stall fault sends instead of the real answer."""
    headers = dict(fault.headers)
    if fault.kind == "drop":
        return Response(0, drop=True)
    if fault.kind == "malformed":
        return Response(fault.status or 200, BROKEN_JSON, headers)
    if fault.kind == "html":
        status = fault.status or 502
        page = HTML_PAGE.format(status=status).encode()
        return Response(status, page, headers, content_type="text/html; charset=utf-8")
    if fault.kind == "empty":
        return Response(fault.status or 200, b"", headers)
    status = fault.status or 503
    body = fault.body
    if body is None:
        body = {
            "error_code": errors.INJECTED_FAULT,
            "error_msg": f"Injected fault: {status}.",
            "error_detail": "",
        }
    if isinstance(body, str):
        return Response(status, body.encode("utf-8"), headers, content_type="text/plain")
    return Response(status, json.dumps(body).encode("utf-8"), headers)
