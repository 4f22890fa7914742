"""The HTTP/1.1 adapter: stdlib ThreadingHTTPServer in front of SimApp.

Keep-alive like the real endpoint (the SDK pools connections), a JSON error body even for
requests http.server itself refuses, and a stop() that leaves no thread or socket behind.
"""

import contextlib
import dataclasses
import signal
import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from workspace_sim import errors
from workspace_sim.app import SimApp
from workspace_sim.config import SimConfig
from workspace_sim.errors import ApiError
from workspace_sim.wire import Request, Response, error_response

# Idle keep-alive connections are closed after this long.
IDLE_TIMEOUT_SECONDS = 120
# How often serve_forever checks for shutdown, which bounds how long stop() takes. Tests
# start and stop hundreds of servers and pass a shorter one.
POLL_INTERVAL_SECONDS = 0.5


class SimServer(ThreadingHTTPServer):
    # Non-daemon, so that server_close() joins every handler thread: stop() leaves none.
    daemon_threads = False
    allow_reuse_address = True

    def __init__(self, config: SimConfig) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__((config.host, config.port), SimHandler)
        try:
            # Port 0 means "any free port": record the one we got.
            self.app = SimApp(dataclasses.replace(config, port=self.port))
        except BaseException:
            self.server_close()
            raise

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self, poll_interval: float = POLL_INTERVAL_SECONDS) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name=f"workspace-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def serve_until_terminated(self, banner: str) -> None:
        """Serve (a command's foreground) until SIGTERM or Ctrl-C, then stop cleanly."""
        terminated = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: terminated.set())
        self.start()
        print(banner, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            terminated.wait()
        self.stop()

    def stop(self) -> None:
        """Stop serving, wake stalled requests, close open connections, join every thread."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.app.stopping.set()
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (or a connection stop() cut) is not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def process_request(self, request, client_address) -> None:
        # Registered here, in the serving thread, so stop() cannot miss a connection whose
        # handler thread has not started yet.
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Answer even a request too broken to name its version with a full status line.
    default_request_version = "HTTP/1.0"
    server_version = "WorkspaceSim/1.0"
    timeout = IDLE_TIMEOUT_SECONDS
    # Headers and body go out in two writes; without TCP_NODELAY the body waits ~40 ms for
    # the client's delayed ACK on a kept-alive connection.
    disable_nagle_algorithm = True
    server: SimServer

    def __getattr__(self, name: str):
        # Every method, even an unheard-of one, goes to the app, which answers 405 with a
        # JSON body; http.server would answer 501 with an HTML page.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, self._headers(), body)
        self._send(self.server.app.handle(request))

    def _read_body(self) -> bytes | None:
        """Read the body by Content-Length; answer and return None when that is impossible."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._refuse(411, "Chunked bodies are not supported; send Content-Length.")
            return None
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(400, "Content-Length is not a number.")
            return None
        if length > self.server.app.config.max_body_bytes:
            self._refuse(413, "The request body is too large.")
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._send(error_response(ApiError(status, errors.BAD_HTTP, message)))

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            # http.server decodes header bytes as Latin-1; the SDK signs the UTF-8 text.
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                value = value.encode("latin-1").decode("utf-8")
            headers.setdefault(name.lower(), value)
        return headers

    def _send(self, response: Response) -> None:
        if response.drop:
            self.close_connection = True
            return
        extra = dict(response.headers)
        content_type = next(
            (extra.pop(name) for name in list(extra) if name.lower() == "content-type"),
            response.content_type,
        )
        self.send_response(response.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Request-Id", uuid.uuid4().hex)
        for name, value in extra.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Refusals by http.server itself (bad request line, huge headers): JSON, and 4xx."""
        self.close_connection = True
        status = code if 400 <= code < 500 else 400
        text = message or self.responses.get(code, ("Bad request",))[0]
        self._send(error_response(ApiError(status, errors.BAD_HTTP, text, explain or "")))

    def log_message(self, format: str, *args: object) -> None:
        if self.server.app.config.access_log:
            super().log_message(format, *args)
