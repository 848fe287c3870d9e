"""Small per-process memos for parts of a page that may be a minute old.

Each gunicorn worker keeps its own (in ``app.extensions``), so nothing is shared and nothing
needs a server; a memo only saves a statement, it never decides what someone may see: the
statement it saves applies the visibility rules, and its answer is at most ``seconds`` old.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from flask import Flask, current_app

T = TypeVar("T")


class Memo(Generic[T]):
    """Answers kept for ``seconds`` under a key, at most ``size`` of them per process."""

    def __init__(self, name: str, seconds: float, size: int = 10_000):
        self.name, self.seconds, self.size = name, seconds, size

    def _kept(self) -> dict[Hashable, tuple[float, T]]:
        return current_app.extensions.setdefault(f"memo.{self.name}", {})

    def clear(self, app: Flask) -> None:
        """Forget every answer ``app``'s process keeps."""
        app.extensions.pop(f"memo.{self.name}", None)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer kept for ``key`` if it is fresh, else ``compute()`` (then kept)."""
        kept, now = self._kept(), time.monotonic()
        found = kept.get(key)
        if found is not None and found[0] > now:
            return found[1]
        if len(kept) >= self.size:
            # Bounded memory: drop what has expired, or everything if nothing has.
            for old in [k for k, (until, _) in kept.items() if until <= now] or list(kept):
                del kept[old]
        value = compute()
        kept[key] = (now + self.seconds, value)
        return value

    def forget(self, key: Hashable) -> None:
        """Make the next :meth:`get` of ``key`` in this process compute it again."""
        self._kept().pop(key, None)


def clear_all(app: Flask) -> None:
    """Forget every memo's answers in ``app``'s process (tests that empty the database)."""
    for name in [name for name in app.extensions if name.startswith("memo.")]:
        del app.extensions[name]
