"""Per-process dictionaries of bounded size that keep what pages compute once (rendered cards
and fragments, URL texts, icons, frozen statements): the oldest entries go first when full."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import TypeVar

T = TypeVar("T")


def keep(store: dict, lock: threading.Lock, key: Hashable, value: T, size: int) -> T:
    """Put ``value`` under ``key`` in ``store`` unless it already holds one, dropping its
    oldest entries first while it holds ``size``; returns the value kept under ``key``.

    Threaded servers fill these from several threads, so writes take ``lock``; reads take no
    lock (a dictionary read never sees a half-made entry). Two threads that computed the same
    value at once keep the first's and evict nothing for the second.
    """
    with lock:
        kept = store.get(key)
        if kept is not None:
            return kept
        while len(store) >= size:
            del store[next(iter(store))]
        store[key] = value
        return value
