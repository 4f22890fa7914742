"""Opaque page cursors: JSON inside URL-safe base64, for the API's and the pages' keyset paging.

Opaque so that nobody builds one by hand and the inside can change; not secret: a cursor only
says where a page starts, and every read is still scoped to the caller.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any


def cursor_encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> Any:
    """The value inside a cursor; ValueError when it is not one `cursor_encode` made."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise ValueError("not a cursor") from None


@dataclass(frozen=True)
class PageCursor:
    """Where a keyset page starts: the key of the row next to it, and that row's position.

    The position (1-based, None when unknown) only serves the "showing 26-50" line, carried
    along from the first page (or from the last when the total was counted exactly), since a
    keyset page cannot count its way there cheaply.
    """

    key: list[str | int]
    position: int | None = None

    def encode(self) -> str:
        return cursor_encode({"k": self.key, "p": self.position})

    @classmethod
    def decode(cls, cursor: str, *, columns: int) -> "PageCursor | None":
        """The cursor in a page link, or None when it is not one (a stale or made-up link)."""
        try:
            value = cursor_decode(cursor)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        key, position = value.get("k"), value.get("p")
        if not isinstance(key, list) or len(key) != columns:
            return None
        if not all(isinstance(part, str | int) and not isinstance(part, bool) for part in key):
            return None
        if not (position is None or (isinstance(position, int) and position >= 0)):
            position = None
        return cls(key=key, position=position)
