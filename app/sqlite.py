"""SQLite settings for a multi-process web server, applied to every new connection."""

import sqlite3

import sqlalchemy as sa


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once; the busy timeout waits for a lock instead of
    # failing; foreign keys make ON DELETE CASCADE real. In-memory databases ignore WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Up to 64 MiB of pages per connection (the default is 2 MiB): the index pages timelines
    # read stay in the process instead of being read again from the OS on every page.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
