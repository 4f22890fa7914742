"""Audit forwarding: every event reaches the sink once at least, in order, checkable, after outages."""

import hashlib
import itertools
import json
import re
import socket
import threading

import pytest
from django.urls import reverse

from disks.models import AuditForwarderPosition
from disks.services.audit import audit_event_record
from disks.services.audit_forwarding import audit_forward, sink_from_url
from disks.services.periodic import periodic_jobs
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

FRAME = re.compile(rb"(\d+) ")
SYSLOG = re.compile(
    r'^<109>1 (\S+) (\S+) workspace-disk-admin (\d+) audit \[wda@32473 seq="(\d+)" '
    r'hash="([0-9a-f]{64})" prev="([0-9a-f]{64})" action="([^"]+)"\] \ufeff(.*)$',
    re.S,
)


class SyslogReceiver(threading.Thread):
    """A small RFC 6587 (octet-counting) syslog receiver on 127.0.0.1."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.messages: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:  # a timeout, or a TLS handshake the client gave up
                continue
            data = b""
            with conn:
                try:
                    while chunk := conn.recv(65536):
                        data += chunk
                except OSError:
                    pass
            while data:
                length = FRAME.match(data)
                size = int(length.group(1))
                start = length.end()
                self.messages.append(data[start : start + size].decode())
                data = data[start + size :]

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.server.close()


@pytest.fixture
def receiver():
    receiver = SyslogReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def _events(count: int) -> None:
    for number in range(count):
        audit_event_record(
            action="inventory.synced", outcome="success", actor=SYSTEM, details={"n": number}
        )


def _parsed(message: str) -> dict:
    match = SYSLOG.match(message)
    assert match, message
    record = json.loads(match.group(8))
    assert record["sequence"] == int(match.group(4))
    assert record["hash"] == match.group(5)
    assert record["previous_hash"] == match.group(6)
    return record


def _verifies(record: dict) -> bool:
    """What a receiver does: hash the event's canonical JSON and compare."""
    content = json.dumps(
        record["event"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    return hashlib.sha256(content).hexdigest() == record["hash"]


def test_every_event_reaches_syslog_in_order_with_its_sequence_and_hash(receiver, settings):
    settings.AUDIT_FORWARD_URL = f"syslog://127.0.0.1:{receiver.port}"
    _events(5)
    assert audit_forward().startswith("forwarded 5 events")
    receiver.stop()
    records = [_parsed(message) for message in receiver.messages]
    assert [r["sequence"] for r in records] == [1, 2, 3, 4, 5]
    assert all(_verifies(record) for record in records)
    assert all(b["previous_hash"] == a["hash"] for a, b in itertools.pairwise(records))


def test_it_remembers_its_position_and_resumes_after_an_outage(settings):
    first = SyslogReceiver()
    port = first.port
    first.start()
    settings.AUDIT_FORWARD_URL = f"syslog://127.0.0.1:{port}"
    _events(3)
    audit_forward(batch=2)  # two batches
    first.stop()  # the receiver goes away
    _events(2)
    result = audit_forward()
    assert result.startswith("failed after 0 events")
    position = AuditForwarderPosition.objects.get()
    assert position.last_sequence == 3 and "ConnectionRefusedError" in position.last_error

    second = SyslogReceiver(port)  # back, on the same port
    second.start()
    assert audit_forward().startswith("forwarded 2 events")
    second.stop()
    sequences = [_parsed(m)["sequence"] for m in first.messages + second.messages]
    assert sequences == [1, 2, 3, 4, 5]
    position.refresh_from_db()
    assert position.last_sequence == 5 and position.last_error == ""


def test_json_lines_to_a_file(tmp_path, settings):
    path = tmp_path / "audit.jsonl"
    settings.AUDIT_FORWARD_URL = f"file://{path}"
    _events(3)
    audit_forward()
    _events(1)
    audit_forward()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["sequence"] for r in records] == [1, 2, 3, 4]
    assert all(_verifies(record) for record in records)


def test_only_one_forwarder_sends_at_a_time(tmp_path, settings):
    from django.utils import timezone

    settings.AUDIT_FORWARD_URL = f"file://{tmp_path / 'a.jsonl'}"
    _events(1)
    name = sink_from_url(settings.AUDIT_FORWARD_URL).name
    AuditForwarderPosition.objects.create(
        name=name, lease_until=timezone.now() + timezone.timedelta(seconds=60)
    )
    assert audit_forward() == "another forwarder holds the lease"


def test_the_worker_forwards_only_when_a_sink_is_configured(settings):
    settings.AUDIT_FORWARD_URL = ""
    assert periodic_jobs()["audit_forward"][0] == 0
    settings.AUDIT_FORWARD_URL = "syslog://127.0.0.1:1"
    assert periodic_jobs()["audit_forward"][0] == settings.AUDIT_FORWARD_SECONDS


def test_a_bad_url_is_refused():
    with pytest.raises(ValueError, match="AUDIT_FORWARD_URL"):
        sink_from_url("http://example.com")


def test_the_audit_page_shows_how_far_forwarding_is(client, auditor, settings, tmp_path):
    settings.AUDIT_FORWARD_URL = f"file://{tmp_path / 'a.jsonl'}"
    _events(3)
    audit_forward()
    _events(2)
    client.force_login(auditor)
    page = client.get(reverse("disks:audit-event-list")).content.decode()
    assert "up to event #3 of #" in page
    assert "events not yet forwarded" in page


def test_the_lag_is_in_the_metrics(client, settings, tmp_path):
    settings.AUDIT_FORWARD_URL = f"file://{tmp_path / 'a.jsonl'}"
    settings.METRICS_TOKEN = "metrics-token-0123456789abcdef"
    _events(3)
    audit_forward()
    _events(2)
    text = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-0123456789abcdef"
    ).content.decode()
    assert f'diskadmin_audit_forwarding_lag_events{{sink="file://{tmp_path}' in text
    line = next(
        row for row in text.splitlines() if row.startswith("diskadmin_audit_forwarding_lag")
    )
    assert line.endswith(" 2.0")


# TLS (RFC 5425) -----------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class TlsSyslogReceiver(SyslogReceiver):
    def __init__(self, cert, key) -> None:
        import ssl

        super().__init__()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = context.wrap_socket(self.server, server_side=True)


def test_syslog_over_tls_checks_the_receivers_certificate(certificate, settings):
    cert, key = certificate
    receiver = TlsSyslogReceiver(cert, key)
    receiver.start()
    _events(2)
    settings.AUDIT_FORWARD_URL = f"syslog+tls://127.0.0.1:{receiver.port}"
    settings.AUDIT_FORWARD_CA_FILE = ""  # the system's CAs do not know this certificate
    assert "CERTIFICATE_VERIFY_FAILED" in audit_forward()
    settings.AUDIT_FORWARD_CA_FILE = str(cert)
    assert audit_forward().startswith("forwarded 2 events")
    receiver.stop()
    assert [_parsed(m)["sequence"] for m in receiver.messages] == [1, 2]
