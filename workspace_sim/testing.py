"""Run a simulator inside a test: `with running_simulator(speed=200) as sim: ...`.

The server listens on 127.0.0.1 on a free port in a background thread. The methods mirror
the /_sim/ control endpoints but call the same functions directly, so they raise ApiError
on bad input instead of returning an error body.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workspace_sim import control
from workspace_sim.config import SimConfig
from workspace_sim.server import SimServer
from workspace_sim.state import SimState

# Stopping waits for the serve loop's next poll; keep that short so tests stay fast.
TEST_POLL_INTERVAL_SECONDS = 0.005


class RunningSimulator:
    def __init__(self, server: SimServer) -> None:
        self._server = server
        self._app = server.app
        self.config: SimConfig = server.app.config
        self.url = f"http://127.0.0.1:{server.port}"

    @property
    def state(self) -> SimState:
        return self._app.state

    def requests_log(self, operation: str | None = None) -> list[dict]:
        """Entries of the request log, oldest first, optionally of one operation only."""
        return self._app.log.entries(operation)

    def clear_log(self) -> None:
        self._app.log.clear()

    def inject_fault(
        self,
        operation: str,
        kind: str,
        count: int = 1,
        status: int | None = None,
        body: object = None,
        headers: dict[str, str] | None = None,
        seconds: float | None = None,
    ) -> None:
        """Make the next `count` calls of `operation` misbehave (see faults.py for kinds)."""
        payload = {"operation": operation, "kind": kind, "count": count, "status": status}
        payload |= {"body": body, "headers": headers, "seconds": seconds}
        control.add_fault(self._app, payload)

    def clear_faults(self) -> None:
        self._app.faults.clear()

    def fail_next_job(self, error_code: str, fail_reason: str) -> None:
        control.fail_next_job(self._app, {"error_code": error_code, "fail_reason": fail_reason})

    def reset(self) -> None:
        control.reset(self._app)

    def patch_desktop(self, desktop_id: str, **fields: object) -> dict:
        """Change status, task_status, data_volumes or add_data_volumes; return the desktop."""
        return control.patch_desktop(self._app, desktop_id, fields)

    def set_quotas(self, volumes: int | None = None, volume_gigabytes: int | None = None) -> dict:
        """Set the disk-count and/or GB quota (-1: no limit); return the ShowQuotas body."""
        payload = {"volumes": volumes, "volume_gigabytes": volume_gigabytes}
        control.set_quotas(self._app, {k: v for k, v in payload.items() if v is not None})
        return control.show_quotas(self._app)

    def quotas(self) -> dict:
        """The ShowQuotas body as the API would answer now."""
        return control.show_quotas(self._app)

    def finish_job(
        self, job_id: str, outcome: str = "success", error_code: str = "", fail_reason: str = ""
    ) -> dict:
        """End a job now; return its ShowJob body."""
        payload = {"outcome": outcome, "error_code": error_code, "fail_reason": fail_reason}
        return control.finish_job(self._app, job_id, payload)

    def desktop(self, desktop_id: str) -> dict:
        """The desktop as ShowDesktopDetail returns it now."""
        with self.state.lock:
            self.state.tick()
            return self.state.desktop_body(self.state.desktop(desktop_id))

    def job(self, job_id: str) -> dict:
        """The job as ShowJob returns it now."""
        with self.state.lock:
            self.state.tick()
            return self.state.job(job_id).show(self.state.clock())


@contextmanager
def running_simulator(**config_overrides: Any) -> Iterator[RunningSimulator]:
    """Start a simulator on 127.0.0.1 and a free port; stop it (threads, sockets) on exit."""
    config = SimConfig(**{"host": "127.0.0.1", "port": 0, **config_overrides})
    server = SimServer(config)
    server.start(poll_interval=TEST_POLL_INTERVAL_SECONDS)
    try:
        yield RunningSimulator(server)
    finally:
        server.stop()
