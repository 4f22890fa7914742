"""Transport-free request and response values passed between the server and the handlers."""

import json
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qs

from workspace_sim.config import SimConfig
from workspace_sim.errors import ApiError


@dataclass
class Request:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query_string: str
    headers: dict[str, str]  # names lower-cased; the first value of a repeated header
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # filled in by the router

    @cached_property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    drop: bool = False  # close the connection without answering


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, dict(headers or {}))


def error_response(error: ApiError) -> Response:
    return json_response(error.status, error.body())


def base_url(request: Request, config: SimConfig) -> str:
    """This simulator's URL as the caller reached it (its Host header)."""
    host = request.header("host") or f"{config.host}:{config.port}"
    return f"http://{host}"
