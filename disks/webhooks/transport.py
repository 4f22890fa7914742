"""The one place webhooks speak HTTP, and the checks that keep them from probing inside.

A webhook URL is typed by an admin but fetched by our servers, so it could be aimed at
the internal network (a metadata service, a database port). Before each call:
1. only http and https, with a host name;
2. if WEBHOOK_ALLOWED_HOSTS is set, only those hosts;
3. the host's addresses, as resolved now, must all be public, unless the host is listed
   in WEBHOOK_ALLOWED_HOSTS: loopback, private, link-local, multicast and reserved
   addresses are refused;
4. no redirects followed to another host (one to the same host is followed, up to 3).
The name is resolved again by the HTTP library when it connects, so a host whose DNS
answer changes between the two (DNS rebinding) is not stopped here; WEBHOOK_ALLOWED_HOSTS
is the strict setting for deployments that need that.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

MAX_REDIRECTS = 3
EXCERPT_CHARS = 500
USER_AGENT = "WorkspaceDiskAdmin-Webhooks/1"


class UnsafeUrl(Exception):
    """The URL may not be called; the message says why, without the URL's secrets."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def url_check(url: str) -> None:
    """Raise UnsafeUrl unless `url` may be called now (see the module's docstring)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs may be called")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeUrl("the URL has no host")
    allowed = {name.lower() for name in settings.WEBHOOK_ALLOWED_HOSTS}
    if allowed and host not in allowed:
        raise UnsafeUrl(f"{host} is not in WEBHOOK_ALLOWED_HOSTS")
    if host in allowed:
        return
    for address in _addresses(host, parts.port or (443 if parts.scheme == "https" else 80)):
        if not address.is_global or address.is_multicast:
            raise UnsafeUrl(f"{host} resolves to a non-public address ({address})")


def _addresses(host: str, port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeUrl(f"{host} does not resolve: {error.strerror}") from None
    return {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url` safely; return what happened (never raises for the network)."""
    started = time.monotonic()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            url_check(url)
            response = requests.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                timeout=(timeout, timeout),
                allow_redirects=False,
            )
            if not response.is_redirect:
                return Outcome(
                    status_code=response.status_code,
                    latency_ms=_since(started),
                    excerpt=response.text[:EXCERPT_CHARS],
                )
            target = urljoin(url, response.headers.get("Location", ""))
            if urlsplit(target).hostname != urlsplit(url).hostname:
                return Outcome(
                    status_code=response.status_code,
                    latency_ms=_since(started),
                    error="redirect to another host refused",
                )
            url = target
        return Outcome(None, _since(started), error="too many redirects")
    except UnsafeUrl as error:
        return Outcome(None, _since(started), error=f"refused: {error}")
    except requests.Timeout:
        return Outcome(None, _since(started), error="timed out")
    except requests.RequestException as error:
        return Outcome(None, _since(started), error=type(error).__name__)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
