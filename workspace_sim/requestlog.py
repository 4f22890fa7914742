"""The log of upstream calls, so tests can count what the dashboard sent.

A ring buffer: a long demo run keeps the latest entries and cannot exhaust memory.
Control calls under /_sim/ are not logged; they are not calls the dashboard makes.
"""

import threading
from collections import deque


class RequestLog:
    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=size)
        self._seq = 0

    def record(self, entry: dict) -> None:
        """Append one entry (keys as README.md documents them) under the next number."""
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, **entry})

    def entries(self, operation: str | None = None) -> list[dict]:
        with self._lock:
            return [
                dict(entry)
                for entry in self._entries
                if operation is None or entry["operation"] == operation
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
