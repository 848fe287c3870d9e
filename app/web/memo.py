"""Small per-process memos for parts of a page that may be a minute old.

Each gunicorn worker keeps its own (in ``app.extensions``), so nothing is shared and nothing
needs a server; a memo only saves a statement, it never decides what someone may see: the
statement it saves applies the visibility rules, and its answer is at most ``seconds`` old
(plus the time to compute the next one, for a memo that refreshes behind).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from flask import Flask, current_app
from sqlalchemy.pool import StaticPool

from app.extensions import db

T = TypeVar("T")


class Memo(Generic[T]):
    """Answers kept for ``seconds`` under a key, at most ``size`` of them per process.

    With ``refresh_behind``, a stale answer is still served while a thread of the process
    computes the next one: for answers that cost far more than a page (the trending tags at
    XL), which a request would otherwise wait for once a minute in every worker at once. Where
    every thread gets the same database connection, the request computes it instead
    (:func:`_one_connection_for_all_threads`).
    """

    def __init__(self, name: str, seconds: float, size: int = 10_000, refresh_behind=False):
        self.name, self.seconds, self.size = name, seconds, size
        self.refresh_behind = refresh_behind

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
        if found is not None and self.refresh_behind and not _one_connection_for_all_threads():
            # Fresh again for now, so this process starts one refresh, not one per request.
            kept[key] = (now + self.seconds, found[1])
            self._refresh(current_app._get_current_object(), key, compute)
            return found[1]
        if len(kept) >= self.size:
            # Bounded memory: drop what has expired, or everything if nothing has.
            for old in [k for k, (until, _) in kept.items() if until <= now] or list(kept):
                del kept[old]
        value = compute()
        kept[key] = (now + self.seconds, value)
        return value

    def _refresh(self, app: Flask, key: Hashable, compute: Callable[[], T]) -> None:
        """Compute ``key``'s answer again in a thread with an app context (and so a database
        session) of its own; if that fails the last answer stays for another ``seconds``."""

        def run() -> None:
            try:
                with app.app_context():
                    value = compute()
            except Exception:
                app.logger.exception("Refreshing memo %s failed; its last answer stays", self.name)
                return
            kept = app.extensions.setdefault(f"memo.{self.name}", {})
            kept[key] = (time.monotonic() + self.seconds, value)

        thread = threading.Thread(target=run, name=f"memo-{self.name}", daemon=True)
        # Only unfinished refreshes are kept: a server runs one a minute for as long as it is up.
        refreshes = app.extensions.setdefault("memo_refreshes", [])
        refreshes[:] = [running for running in refreshes if running.is_alive()]
        refreshes.append(thread)
        thread.start()

    def forget(self, key: Hashable) -> None:
        """Make the next :meth:`get` of ``key`` in this process compute it again."""
        self._kept().pop(key, None)


def _one_connection_for_all_threads() -> bool:
    """Whether the current app's database hands every thread the same connection
    (SQLAlchemy's ``StaticPool``: in-memory SQLite, as the tests run). A refresh thread would
    then read inside the request's transaction, and its session's rollback could undo what
    the request had written and not yet committed."""
    if "sqlalchemy" not in current_app.extensions:
        return False
    return isinstance(db.engine.pool, StaticPool)


def clear_all(app: Flask) -> None:
    """Forget every memo's answers in ``app``'s process (tests that empty the database)."""
    for name in [name for name in app.extensions if name.startswith("memo.")]:
        del app.extensions[name]


def finish_refreshes(app: Flask, timeout: float = 10.0) -> None:
    """Wait for the refreshes ``app``'s memos started (tests do, before they close the
    database: a refresh still holding a connection then would leave it open for good)."""
    for thread in app.extensions.pop("memo_refreshes", []):
        thread.join(timeout)
