"""Values the product must keep to use, but that must not be readable in the database.

A group robot's webhook URL carries its token (WeCom `?key=`, DingTalk `?access_token=`,
Feishu `/hook/<token>`): whoever reads the row can post to the group. Such values are sealed
with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from SECRET_KEY, and opened only
where they are used. SECRET_KEY_FALLBACKS open values sealed under an earlier key, so a key
rotation keeps them readable; saving the row again seals it under the new key.
"""

import base64
import hashlib
import hmac
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)

PREFIX = "sealed:v1:"


def _fernet_key(secret_key: str) -> bytes:
    digest = hmac.new(secret_key.encode(), b"disks.sealing", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def seal(text: str) -> str:
    """`text` encrypted for storage (a different ciphertext each time)."""
    return PREFIX + _fernet().encrypt(text.encode()).decode()


def unseal(stored: str) -> str:
    """The text sealed in `stored`; "" when no key in use opens it (SECRET_KEY was replaced
    without keeping the old one in SECRET_KEY_FALLBACKS): the value must be entered again."""
    if not stored.startswith(PREFIX):
        raise ValueError("not a sealed value")
    try:
        return _fernet().decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        logger.error("a sealed value cannot be opened with SECRET_KEY or its fallbacks")
        return ""


class SealedTextField(models.TextField):
    """Text stored sealed (disks.sealing) and read back open. It cannot be searched or
    compared in the database: each save stores a different ciphertext."""

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else unseal(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value in (None, "") else seal(value)
