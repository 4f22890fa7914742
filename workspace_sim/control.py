"""The `/_sim/` control endpoints: faults, job outcomes, desktop changes, reset, the log.

No auth: this is a dev/test server. The payload checks live in plain functions that the
in-process harness (testing.py) calls too, so both paths refuse the same inputs.
"""

import json
import re
from typing import TYPE_CHECKING

from workspace_sim import errors, faults, quotas, routes
from workspace_sim.errors import ApiError, bad_request
from workspace_sim.faults import Fault
from workspace_sim.wire import Request, Response, error_response, json_response

if TYPE_CHECKING:
    from workspace_sim.app import SimApp

MAX_FAULT_COUNT = 1_000_000
MAX_STALL_SECONDS = 3600.0
DEFAULT_STALL_SECONDS = 30.0
# Headers that would break the framing of the faulted response if a test overrode them.
FRAMING_HEADERS = {"content-length", "transfer-encoding", "connection"}
HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
PATCHABLE = {"status", "task_status", "data_volumes", "add_data_volumes"}


def handle(app: "SimApp", request: Request) -> Response:
    """Serve one /_sim/ request; errors use the Workspace error body."""
    try:
        return _dispatch(app, request)
    except ApiError as error:
        return error_response(error)


def _dispatch(app: "SimApp", request: Request) -> Response:
    method, path = request.method, request.path.rstrip("/")
    if path == "/_sim/health" and method == "GET":
        return json_response(200, {"ok": True, "project_id": app.config.project_id})
    if path == "/_sim/faults":
        return _faults_endpoint(app, method, request)
    if path == "/_sim/requests":
        return _requests_endpoint(app, method, request)
    if path == "/_sim/quotas":
        return _quotas_endpoint(app, method, request)
    if path == "/_sim/fail-next-job" and method == "POST":
        fail_next_job(app, _payload(request))
        return json_response(200, {"ok": True})
    if path == "/_sim/reset" and method == "POST":
        reset(app)
        return json_response(200, {"ok": True})
    found = re.fullmatch(r"/_sim/jobs/([^/]+)/finish", path)
    if found and method == "POST":
        return json_response(200, finish_job(app, found.group(1), _payload(request)))
    found = re.fullmatch(r"/_sim/desktops/([^/]+)", path)
    if found and method == "PATCH":
        return json_response(
            200, {"desktop": patch_desktop(app, found.group(1), _payload(request))}
        )
    raise ApiError(404, errors.NO_SUCH_API, f"No control endpoint {method} {path}.")


def _faults_endpoint(app: "SimApp", method: str, request: Request) -> Response:
    if method == "POST":
        fault = add_fault(app, _payload(request))
        return json_response(200, {"ok": True, "fault": fault.__dict__})
    if method == "DELETE":
        app.faults.clear()
        return json_response(200, {"ok": True})
    if method == "GET":
        return json_response(200, {"faults": app.faults.pending()})
    raise ApiError(405, errors.METHOD_NOT_ALLOWED, "Use GET, POST or DELETE on /_sim/faults.")


def _requests_endpoint(app: "SimApp", method: str, request: Request) -> Response:
    if method == "GET":
        operation = (request.query.get("operation") or [""])[-1] or None
        return json_response(200, {"requests": app.log.entries(operation)})
    if method == "DELETE":
        app.log.clear()
        return json_response(200, {"ok": True})
    raise ApiError(405, errors.METHOD_NOT_ALLOWED, "Use GET or DELETE on /_sim/requests.")


def _quotas_endpoint(app: "SimApp", method: str, request: Request) -> Response:
    if method == "PUT":
        set_quotas(app, _payload(request))
        return json_response(200, show_quotas(app))
    if method == "GET":
        return json_response(200, show_quotas(app))
    raise ApiError(405, errors.METHOD_NOT_ALLOWED, "Use GET or PUT on /_sim/quotas.")


def _payload(request: Request) -> dict:
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):
        raise bad_request(errors.MALFORMED_BODY, "The control body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request(errors.MALFORMED_BODY, "The control body must be a JSON object.")
    return data


# -- the operations, shared with testing.py ------------------------------------------------


def add_fault(app: "SimApp", payload: dict) -> Fault:
    operation = payload.get("operation")
    if operation not in routes.OPERATIONS:
        raise _invalid(f"operation must be one of {', '.join(routes.OPERATIONS)}")
    kind = payload.get("kind", "status")
    if kind not in faults.KINDS:
        raise _invalid(f"kind must be one of {', '.join(faults.KINDS)}")
    fault = Fault(
        operation=operation,
        kind=kind,
        count=_number(payload, "count", 1, 1, MAX_FAULT_COUNT, integer=True),
        status=_status(payload.get("status")),
        body=payload.get("body"),
        headers=_headers(payload.get("headers")),
        seconds=_number(payload, "seconds", None, 0, MAX_STALL_SECONDS),
    )
    if kind == "stall" and fault.seconds is None:
        fault.seconds = DEFAULT_STALL_SECONDS
    app.faults.add(fault)
    return fault


def fail_next_job(app: "SimApp", payload: dict) -> None:
    code, reason = payload.get("error_code"), payload.get("fail_reason", "")
    if not isinstance(code, str) or not code or not isinstance(reason, str):
        raise _invalid("error_code (a non-empty string) and fail_reason (a string) are needed")
    app.state.fail_next_job(code, reason)


def finish_job(app: "SimApp", job_id: str, payload: dict) -> dict:
    """End the job now; return its ShowJob body."""
    outcome = payload.get("outcome", "success")
    if outcome not in ("success", "fail"):
        raise _invalid('outcome must be "success" or "fail"')
    code, reason = payload.get("error_code", ""), payload.get("fail_reason", "")
    if not isinstance(code, str) or not isinstance(reason, str):
        raise _invalid("error_code and fail_reason must be strings")
    state = app.state
    with state.lock:
        job = state.finish_job(job_id, outcome, code, reason)
        return job.show(state.clock())


def patch_desktop(app: "SimApp", desktop_id: str, payload: dict) -> dict:
    """Change a desktop behind the dashboard's back; return its ShowDesktopDetail body."""
    unknown = set(payload) - PATCHABLE
    if unknown:
        raise _invalid(f"cannot change {', '.join(sorted(unknown))}; use {sorted(PATCHABLE)}")
    for key in ("status", "task_status"):
        if key in payload and not isinstance(payload[key], str):
            raise _invalid(f"{key} must be a string")
    for key in ("data_volumes", "add_data_volumes"):
        if key in payload:
            _check_volume_items(key, payload[key])
    state = app.state
    with state.lock:
        return state.desktop_body(state.patch_desktop(desktop_id, payload))


def set_quotas(app: "SimApp", payload: dict) -> None:
    """Set the `volumes` and/or `volume_gigabytes` quota; -1 lifts a limit."""
    names = (quotas.VOLUMES, quotas.VOLUME_GIGABYTES)
    unknown = set(payload) - set(names)
    if unknown or not payload:
        raise _invalid(f"give {' and/or '.join(names)}")
    limits = [
        _number(payload, name, None, quotas.UNLIMITED, 2**31 - 1, integer=True) for name in names
    ]
    app.state.set_quotas(*limits)


def show_quotas(app: "SimApp") -> dict:
    """The ShowQuotas body as the API would answer now."""
    state = app.state
    with state.lock:
        state.tick()
        return quotas.show_body(state.quota_limits, state.quota_usage())


def reset(app: "SimApp") -> None:
    """Back to the seed; log, faults and tokens cleared."""
    app.state.reset()
    app.faults.clear()
    app.log.clear()


def _check_volume_items(key: str, items: object) -> None:
    if not isinstance(items, list) or len(items) > 24:
        raise _invalid(f"{key} must be a list of at most 24 volumes")
    for item in items:
        valid = (
            isinstance(item, dict)
            and isinstance(item.get("type"), str)
            and isinstance(item.get("size"), int)
            and not isinstance(item.get("size"), bool)
        )
        if not valid:
            raise _invalid(f"each of {key} needs a string type and an integer size")


def _number(payload: dict, key: str, default, low: float, high: float, *, integer=False):
    value = payload.get(key)
    if value is None:
        return default
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise _invalid(f"{key} must be a number from {low} to {high}")
    return value


def _status(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 200 <= value <= 599:
        raise _invalid("status must be an integer from 200 to 599")
    return value


def _headers(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid("headers must be an object of strings")
    for name, text in value.items():
        ok_name = HEADER_NAME.match(name) and name.lower() not in FRAMING_HEADERS
        if not ok_name or not isinstance(text, str) or "\r" in text or "\n" in text:
            raise _invalid(f"header {name!r} cannot be set")
    return dict(value)


def _invalid(problem: str) -> ApiError:
    return bad_request(errors.INVALID_FIELD, problem + ".")
