"""Webhook secrets and signatures.

Each endpoint's secret is HMAC-SHA256(SECRET_KEY, "webhook:" + its random salt): shown
once when the endpoint is made, derived again to sign, never stored (the database has
only the salt, which is useless without SECRET_KEY). Rotating SECRET_KEY changes every
webhook secret; make the endpoint again (new salt) to rotate one secret.

A delivery carries `Webhook-Signature: t=<unix time>,v1=<hex>`, where the hex is
HMAC-SHA256(secret, "<unix time>." + raw body). Receivers check it and the time (README).
"""

import hashlib
import hmac
import secrets

from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a marker that makes leaked secrets easy to scan for)
SIGNATURE_HEADER = "Webhook-Signature"


def new_salt() -> str:
    return secrets.token_hex(16)


def endpoint_secret(salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"webhook:{salt}".encode(), hashlib.sha256)
    return SECRET_PREFIX + digest.hexdigest()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
