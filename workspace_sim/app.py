"""Dispatch one request: route it, authenticate it, apply a fault, run it, log it.

Knows nothing about sockets; server.py feeds it `Request`s and writes its `Response`s.
"""

import logging
import threading
import time

from workspace_sim import control, errors, faults, iam, routes, signing
from workspace_sim.config import SimConfig
from workspace_sim.errors import ApiError, auth_failed
from workspace_sim.faults import Fault, FaultBook
from workspace_sim.requestlog import RequestLog
from workspace_sim.routes import Route
from workspace_sim.state import SimState
from workspace_sim.timefmt import log_time
from workspace_sim.wire import Request, Response, error_response

logger = logging.getLogger("workspace_sim")


class SimApp:
    """One simulator instance: its state, pending faults and request log."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.state = SimState(config)
        self.faults = FaultBook()
        self.log = RequestLog(config.request_log_size)
        # Set on shutdown so that stalled requests stop waiting.
        self.stopping = threading.Event()

    def handle(self, request: Request) -> Response:
        if request.path == "/_sim" or request.path.startswith("/_sim/"):
            return control.handle(self, request)
        started_at, started = time.time(), time.perf_counter()
        route, request.params, allowed = routes.match(request.method, request.path)
        operation = route.operation if route else routes.UNKNOWN
        auth, auth_error = self._authenticate(request, route)
        fault = self.faults.take(operation)
        response = self._respond(request, route, allowed, auth_error, fault)
        signed = route is None or route.signed
        self.log.record(
            {
                "time": log_time(started_at),
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "operation": operation,
                "auth": auth,
                "auth_ok": auth_error is None if signed else response.status == 201,
                "status": response.status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "fault": fault.kind if fault else None,
            }
        )
        return response

    def _respond(
        self,
        request: Request,
        route: Route | None,
        allowed: list[str],
        auth_error: ApiError | None,
        fault: Fault | None,
    ) -> Response:
        if fault and fault.kind != "stall":
            return faults.response_for(fault)
        if fault:
            self.stopping.wait(fault.seconds or 0)
        if route is None:
            return _no_route(request, allowed)
        if auth_error is not None:
            return error_response(auth_error)
        try:
            self._check_project(request, route)
            with self.state.lock:
                self.state.tick()
                return route.handler(self.state, request)
        except ApiError as error:
            return error_response(error)
        except Exception:
            # A bug must not take the server down; answer and keep serving.
            logger.exception("simulator error on %s %s", request.method, request.path)
            return error_response(ApiError(500, errors.INTERNAL, "Simulator internal error."))

    def _authenticate(self, request: Request, route: Route | None) -> tuple[str, ApiError | None]:
        """Return (auth kind, the 401 to send or None)."""
        if route is not None and not route.signed:
            return "none", None
        token = request.header("x-auth-token")
        try:
            if token:
                with self.state.lock:
                    iam.check_token(self.state, token)
                return "token", None
            if request.header("authorization"):
                self._verify_signature(request)
                return "aksk", None
        except ApiError as error:
            return ("token" if token else "aksk"), error
        return "none", auth_failed("the request carries neither a signature nor a token")

    def _verify_signature(self, request: Request) -> None:
        signing.verify(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
            credentials={self.config.ak: self.config.sk},
            now=self.state.clock(),
            max_skew_seconds=self.config.clock_skew_seconds,
        )

    def _check_project(self, request: Request, route: Route) -> None:
        if not route.signed:
            return
        claimed = {request.params.get("project_id"), request.header("x-project-id")} - {None}
        if claimed - {self.config.project_id}:
            raise ApiError(
                403, errors.PROJECT_MISMATCH, "The project id does not match the credentials."
            )


def _no_route(request: Request, allowed: list[str]) -> Response:
    if allowed:
        error = ApiError(
            405,
            errors.METHOD_NOT_ALLOWED,
            f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}.",
        )
        response = error_response(error)
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return error_response(
        ApiError(404, errors.NO_SUCH_API, "The API does not exist or has not been published.")
    )
