"""Check `SDK-HMAC-SHA256` signatures exactly as huaweicloudsdkcore's Signer computes them.

Reference: huaweicloudsdkcore/signer/signer.py, restated in docs/workspace-api.md §8. `sign()` is
the same computation from the client's side, for tests and for tools without the SDK.
"""

import hashlib
import hmac
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from workspace_sim.errors import auth_failed

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
AUTHORIZATION = re.compile(
    rf"^{ALGORITHM}\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*$"
)
# Without these two a signature could be replayed later or against another host.
REQUIRED_SIGNED = ("host", "x-sdk-date")


def verify(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: dict[str, str],
    body: bytes,
    credentials: dict[str, str],
    now: float,
    max_skew_seconds: float,
) -> str:
    """Return the access key of a correctly signed request, or raise the gateway's 401.

    Args:
        headers: lower-cased names.
        credentials: access key -> secret key.
    """
    match = AUTHORIZATION.match(headers.get("authorization", ""))
    if not match:
        raise auth_failed("the Authorization header is not a valid SDK-HMAC-SHA256 signature")
    access_key, signed_list, signature = match.groups()
    secret_key = credentials.get(access_key)
    if secret_key is None:
        raise auth_failed(f"Get secretKey failed,ak:{access_key},err:ak not exist")
    signed_at = _check_date(headers.get("x-sdk-date"), now, max_skew_seconds)
    signed_headers = signed_list.split(";")
    for name in REQUIRED_SIGNED:
        if name not in signed_headers:
            raise auth_failed(f"SignedHeaders must include {name}")
    for name in signed_headers:
        if name not in headers:
            raise auth_failed(f"signed header {name} is missing from the request")
    canonical = canonical_request(method, path, query_string, headers, signed_headers, body)
    expected = signature_of(canonical, signed_at, secret_key)
    if not hmac.compare_digest(expected, signature.lower()):
        raise auth_failed("verify aksk signature fail")
    return access_key


def _check_date(value: str | None, now: float, max_skew_seconds: float) -> datetime:
    if not value:
        raise auth_failed("the X-Sdk-Date header is missing")
    try:
        signed_at = datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise auth_failed(f"X-Sdk-Date {value!r} is not in {DATE_FORMAT} format") from None
    if abs(now - signed_at.timestamp()) > max_skew_seconds:
        minutes = round(max_skew_seconds / 60)
        raise auth_failed(f"X-Sdk-Date is more than {minutes} minutes away from the server time")
    return signed_at


def canonical_request(
    method: str,
    path: str,
    query_string: str,
    headers: dict[str, str],
    signed_headers: list[str],
    body: bytes,
) -> str:
    header_block = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query_string),
            header_block,
            ";".join(signed_headers),
            payload_hash(headers, body),
        ]
    )


def canonical_uri(path: str) -> str:
    """Decode the path, re-encode each segment (RFC 3986), end with a slash."""
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query_string: str) -> str:
    """Sort the decoded parameters by key, then value; repeated keys stay repeated."""
    pairs = sorted(parse_qsl(query_string, keep_blank_values=True))
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def payload_hash(headers: dict[str, str], body: bytes) -> str:
    # The SDK hashes an empty body as empty even when it marks the payload unsigned.
    if not body:
        return EMPTY_HASH
    return headers.get("x-sdk-content-sha256") or hashlib.sha256(body).hexdigest()


def signature_of(canonical: str, signed_at: datetime, secret_key: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{signed_at.strftime(DATE_FORMAT)}\n{digest}"
    return hmac.new(
        secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), "sha256"
    ).hexdigest()


def _encode(text: str) -> str:
    return quote(text, safe="~")


def sign(
    method: str,
    url: str,
    *,
    ak: str,
    sk: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    when: datetime | None = None,
) -> dict[str, str]:
    """Return `headers` plus Host, X-Sdk-Date and Authorization, as the SDK would send them.

    Every header given is signed; send the URL's query exactly as given.
    """
    parts = urlsplit(url)
    signed_at = (when or datetime.now(UTC)).astimezone(UTC)
    result = dict(headers or {})
    result.setdefault("Host", parts.netloc)
    result["X-Sdk-Date"] = signed_at.strftime(DATE_FORMAT)
    lowered = {name.lower(): value for name, value in result.items()}
    names = sorted(name for name in lowered if "_" not in name)
    canonical = canonical_request(method, parts.path or "/", parts.query, lowered, names, body)
    signature = signature_of(canonical, signed_at, sk)
    result["Authorization"] = (
        f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return result
