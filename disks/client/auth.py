"""The two ways to authenticate: AK/SK signing, or an IAM token shared by the process."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests
from django.utils.translation import gettext as _

from .errors import TOKEN_OPERATION, WorkspaceBadResponse
from .signing import SdkHmacSha256Auth, utc_now
from .transport import Call, Transport

# Renew this long before expires_at (or a tenth of the lifetime, if that is shorter).
TOKEN_RENEW_MARGIN = 300.0
# When IAM does not say how long the token lives, assume no more than this.
TOKEN_DEFAULT_LIFETIME = 3600.0


class AkSkAuth(SdkHmacSha256Auth):
    """Sign with AK/SK, sending X-Project-Id and X-Security-Token as BasicCredentials does."""

    mode = "aksk"

    def __init__(
        self,
        ak: str,
        sk: str,
        project_id: str,
        *,
        security_token: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(ak, sk, clock=clock)
        self._project_id = project_id
        self._security_token = security_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Project-Id"] = self._project_id
        if self._security_token:
            request.headers["X-Security-Token"] = self._security_token
        return super().__call__(request)

    def renew(self, request: requests.PreparedRequest) -> bool:
        """A 401 with AK/SK will not get better by repeating the call."""
        return False


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # time.monotonic()


_lock = threading.Lock()
_tokens: dict[tuple[str, ...], _Token] = {}


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def clear_token_cache() -> None:
    """Forget every cached token (tests, credential changes)."""
    with _lock:
        _tokens.clear()


class IamTokenAuth(requests.auth.AuthBase):
    """Send X-Auth-Token, fetched once per process and user, renewed before it expires."""

    mode = "token"

    def __init__(
        self,
        transport: Transport,
        *,
        iam_endpoint: str,
        username: str,
        password: str,
        domain: str,
        project_id: str,
    ) -> None:
        self._transport = transport
        self._iam_endpoint = iam_endpoint.rstrip("/")
        self._username = username
        self._password = password
        self._domain = domain
        self._project_id = project_id
        secret = hashlib.sha256(password.encode()).hexdigest()
        self._key = (self._iam_endpoint, domain, username, project_id, secret)

    def __repr__(self) -> str:
        return f"IamTokenAuth(iam_endpoint={self._iam_endpoint!r}, username={self._username!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = self.token()
        return request

    def token(self) -> str:
        """Return the shared token, fetching it when missing or close to expiry."""
        with _lock:
            cached = _tokens.get(self._key)
            if cached is None or time.monotonic() >= cached.renew_at:
                cached = _tokens[self._key] = self._fetch()
            return cached.value

    def renew(self, request: requests.PreparedRequest) -> bool:
        """Drop the token a 401 answered, unless another thread has already replaced it."""
        used = request.headers.get("X-Auth-Token")
        with _lock:
            cached = _tokens.get(self._key)
            if cached is not None and cached.value == used:
                del _tokens[self._key]
        return True

    def _fetch(self) -> _Token:
        """Ask IAM for a project-scoped token.

        Reference: https://support.huaweicloud.com/intl/en-us/api-iam/iam_30_0001.html
        """
        call = Call(
            TOKEN_OPERATION,
            "POST",
            f"{self._iam_endpoint}/v3/auth/tokens",
            query=(("nocatalog", "true"),),
            body=self._body(),
            service="the IAM API",
        )
        # Issuing a token changes nothing upstream, so it may be retried like a GET.
        reply = self._transport.send(call, None, may_retry=True)
        value = reply.headers.get("X-Subject-Token")
        if not value:
            raise WorkspaceBadResponse(
                TOKEN_OPERATION,
                status=reply.status,
                request_id=reply.request_id,
                message=_("The IAM API answered without an X-Subject-Token header"),
            )
        return _Token(value, time.monotonic() + _renew_in(reply.data.get("token") or {}))

    def _body(self) -> dict:
        user = {
            "name": self._username,
            "password": self._password,
            "domain": {"name": self._domain},
        }
        return {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": user}},
                "scope": {"project": {"id": self._project_id}},
            }
        }


def _renew_in(token: dict) -> float:
    """Return seconds from now until the token should be renewed."""
    expires_at = _parse_time(token.get("expires_at"))
    if expires_at is None:
        return TOKEN_DEFAULT_LIFETIME - TOKEN_RENEW_MARGIN
    issued_at = _parse_time(token.get("issued_at"))
    # Measure the lifetime on IAM's own clock when possible, so local clock skew does not matter.
    lifetime = (expires_at - (issued_at or utc_now())).total_seconds()
    return max(0.0, lifetime - min(TOKEN_RENEW_MARGIN, lifetime / 10))


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=utc_now().tzinfo)
