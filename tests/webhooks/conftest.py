"""A real HTTP receiver on 127.0.0.1 (stdlib http.server in a thread), and endpoints."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from disks.models import WebhookEndpoint, WebhookEvent
from disks.webhooks.signing import new_salt


class Receiver:
    """What it was sent, and what it answers next: (status, headers, text), else 200."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], str]] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.url = ""


@pytest.fixture
def receiver(settings):
    """A receiver the tests allow (WEBHOOK_ALLOWED_HOSTS), as the brief's 127.0.0.1."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append((dict(self.headers), body))
            status, headers, text = state.answers.pop(0) if state.answers else (200, {}, "ok")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint_for(db, receiver, helpdesk_user):
    """endpoint_for(format=..., events=..., scope=...) -> a WebhookEndpoint at the receiver."""

    def make(*, format="generic", events=None, scope="all", url=None):
        return WebhookEndpoint.objects.create(
            name=f"{format} hook",
            url=url or receiver.url,
            format=format,
            events=events if events is not None else list(WebhookEvent.values),
            scope=scope,
            owner=helpdesk_user,
            secret_salt=new_salt(),
        )

    return make
