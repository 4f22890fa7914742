"""SDK-HMAC-SHA256 request signing, byte for byte as huaweicloudsdkcore's Signer does it.

Reference: https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-algorithm.html
The installed huaweicloudsdkcore/signer/signer.py is the ground truth; tests compare the two.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

import requests

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
CONTENT_HASH_HEADER = "X-Sdk-Content-Sha256"

# The SDK signs its header dict before requests adds transport headers; leave those out too.
UNSIGNED_HEADERS = frozenset({"accept", "accept-encoding", "connection", "content-length"})

QueryParams = Iterable[tuple[str, object]]


def url_encode(value: str) -> str:
    """Percent-encode everything but RFC 3986 unreserved characters."""
    return quote(value, safe="~")


def query_value(value: object) -> str:
    """Render one query value the way the SDK does (booleans lower-case)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def canonical_query(params: QueryParams) -> str:
    """Return the sorted, encoded query string; the SDK also sends exactly this."""
    pairs = sorted((key, query_value(value)) for key, value in params)
    return "&".join(f"{url_encode(key)}={url_encode(value)}" for key, value in pairs)


def parse_query(query: str) -> list[tuple[str, str]]:
    """Split an encoded query string into decoded (key, value) pairs."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def canonical_uri(path: str) -> str:
    """Decode the path, re-encode each segment and end it with a slash."""
    uri = "/".join(url_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def signed_header_names(headers: Iterable[str]) -> list[str]:
    """Return the lower-cased, sorted names of the headers to sign."""
    names = {name.lower() for name in headers if "_" not in name}
    return sorted(names - UNSIGNED_HEADERS)


def payload_hash(headers: dict[str, str], body: bytes | None) -> str:
    """Hash the body as the SDK does (empty body and unsigned payloads included)."""
    if not body:
        return EMPTY_HASH
    lowered = {name.lower(): value for name, value in headers.items()}
    return lowered.get(CONTENT_HASH_HEADER.lower()) or hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str, url: str, headers: dict[str, str], body: bytes | None, names: list[str]
) -> str:
    """Build the six-line canonical request."""
    parts = urlsplit(url)
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    header_block = "".join(f"{name}:{lowered[name]}\n" for name in names)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(parts.path),
            canonical_query(parse_query(parts.query)),
            header_block,
            ";".join(names),
            payload_hash(headers, body),
        ]
    )


def signature(sk: str, date: str, request_text: str) -> str:
    """Return the hex HMAC-SHA256 of the string to sign."""
    digest = hashlib.sha256(request_text.encode()).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{date}\n{digest}"
    return hmac.new(sk.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    ak: str, sk: str, method: str, url: str, headers: dict[str, str], body: bytes | None
) -> str:
    """Return the Authorization value for a request that already carries X-Sdk-Date."""
    names = signed_header_names(headers)
    text = canonical_request(method, url, headers, body, names)
    date = _header(headers, "X-Sdk-Date")
    signed = ";".join(names)
    return f"{ALGORITHM} Access={ak}, SignedHeaders={signed}, Signature={signature(sk, date, text)}"


def utc_now() -> datetime:
    """Return the current UTC time (the signer's default clock)."""
    return datetime.now(UTC)


class SdkHmacSha256Auth(requests.auth.AuthBase):
    """Sign a prepared request with AK/SK, adding X-Sdk-Date and Host when absent."""

    def __init__(self, ak: str, sk: str, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._ak = ak
        self._sk = sk
        self._clock = clock

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ak=<hidden>)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        headers = request.headers
        if _header(headers, "X-Sdk-Date") is None:
            headers["X-Sdk-Date"] = self._clock().strftime(DATE_FORMAT)
        if _header(headers, "Host") is None:
            headers["Host"] = str(urlsplit(str(request.url)).netloc)
        content_type = _header(headers, "Content-Type", "")
        if content_type and not content_type.startswith(_HASHED_TYPES):
            headers[CONTENT_HASH_HEADER] = "UNSIGNED-PAYLOAD"
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers["Authorization"] = authorization(
            self._ak, self._sk, request.method or "GET", request.url or "", dict(headers), body
        )
        for name, value in list(headers.items()):
            # As the SDK does: send UTF-8 bytes for the value that was signed.
            headers[name] = str(value).strip().encode().decode("iso-8859-1")
        return request


_HASHED_TYPES = ("application/json", "application/bson")


def _header(headers, name: str, default=None):
    """Look a header up case-insensitively."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return default
