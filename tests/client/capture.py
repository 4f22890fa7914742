"""A requests adapter that records what would be sent and answers with canned JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import requests
from requests.adapters import BaseAdapter

FIXED_NOW = datetime(2026, 8, 20, 9, 30, 15, tzinfo=UTC)

CANNED = {
    "volumes": {"job_id": "11111111-2222-3333-4444-555555555555"},
    "workspace-jobs": {"id": "j-1", "status": "RUNNING", "sub_jobs": []},
    "workspace-sub-jobs": {"total_count": 0, "jobs": []},
    "products": {"volumes": []},
    "detail": {"total_count": 0, "desktops": []},
    "desktops": {"desktop": {"desktop_id": "d-1"}},
}


class CaptureAdapter(BaseAdapter):
    """Record each PreparedRequest; answer 200 with a body that fits the path."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response.headers["X-Request-Id"] = "req-captured"
        response._content = json.dumps(_canned(request.path_url)).encode()
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        pass


class ScriptedAdapter(BaseAdapter):
    """Answer each request with the next scripted step: an exception, or (status, body, headers)."""

    def __init__(self, *steps) -> None:
        super().__init__()
        self.steps = list(steps)
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        status, body, headers = step if len(step) == 3 else (*step, {})
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = json.dumps(body).encode() if isinstance(body, dict) else body
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        pass


def scripted_session(*steps) -> tuple[requests.Session, ScriptedAdapter]:
    session = requests.Session()
    adapter = ScriptedAdapter(*steps)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


def _canned(path: str) -> dict:
    segments = path.split("?")[0].rstrip("/").split("/")
    for segment in reversed(segments):
        if segment in CANNED:
            return CANNED[segment]
    return CANNED["desktops"]


def capturing_session() -> tuple[requests.Session, CaptureAdapter]:
    session = requests.Session()
    adapter = CaptureAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter
