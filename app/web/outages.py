"""When the database fails under a request: out of reach, or refusing to write.

Neither is a fault in Chirp, and neither may look like one (a 500 without the site's headers):

- **Out of reach** (the server stopped or restarting, connections refused or cut, the SQLite
  file gone, the pool exhausted): the request gets a 503 with ``Retry-After``, its page rendered
  without the database (see ``app/errors/handlers.py``).
- **Refusing writes** (a read-only replica or maintenance setting, a read-only file, a full
  disk): reads still work, so pages go on, with a banner saying Chirp is read-only for a moment;
  a write the database refuses gets a 503 page that keeps what was typed.

:func:`database_failure` tells these apart from other database errors (a bug, a constraint),
which stay 500s. :func:`optional_write` guards the writes a read makes on the side (when a user
was last seen), so that refusing them never fails the read.
"""

import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app, g

from app.extensions import db

# Seconds a client is asked to wait (``Retry-After``) before trying again.
RETRY_AFTER_SECONDS = 30


class DatabaseFailure(enum.Enum):
    """What a failed statement says about the database."""

    UNREACHABLE = "unreachable"
    READ_ONLY = "read-only"


# SQLite result codes (the primary code: the low byte of an extended one).
_SQLITE_READ_ONLY = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL}
_SQLITE_UNREACHABLE = {
    sqlite3.SQLITE_BUSY,  # locked by another writer for longer than the busy timeout
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CANTOPEN,  # the file (or its directory) is gone or unreadable
    sqlite3.SQLITE_PROTOCOL,
    sqlite3.SQLITE_NOTADB,
}
# PostgreSQL SQLSTATEs: a read-only transaction (a hot standby, default_transaction_read_only)
# and a full disk; connection exceptions (class 08), the server shutting down or starting
# (57P01-57P03), too many connections.
_POSTGRES_READ_ONLY = {"25006", "53100"}
_POSTGRES_UNREACHABLE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300")


def database_failure(error: BaseException | None) -> DatabaseFailure | None:
    """Whether ``error`` means the database is out of reach or refusing writes (else None)."""
    if isinstance(error, sa.exc.TimeoutError):
        return DatabaseFailure.UNREACHABLE  # no pooled connection came free in time
    if not isinstance(error, sa.exc.DBAPIError):
        return None
    if error.connection_invalidated:
        return DatabaseFailure.UNREACHABLE  # the connection was cut under the statement
    original = error.orig
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", 0) & 0xFF
        if code in _SQLITE_READ_ONLY:
            return DatabaseFailure.READ_ONLY
        return DatabaseFailure.UNREACHABLE if code in _SQLITE_UNREACHABLE else None
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _POSTGRES_READ_ONLY:
        return DatabaseFailure.READ_ONLY
    if sqlstate is None and isinstance(error, sa.exc.OperationalError):
        return DatabaseFailure.UNREACHABLE  # psycopg's failures to connect carry no SQLSTATE
    if sqlstate and sqlstate.startswith(_POSTGRES_UNREACHABLE_PREFIXES):
        return DatabaseFailure.UNREACHABLE
    return None


@contextmanager
def optional_write(what: str) -> Iterator[None]:
    """Run a write the request does not depend on (``what`` names it for the log).

    If it fails (the database read-only or out of reach, or anything else), the transaction is
    rolled back, the failure logged and the request goes on: a page that only reads must not
    fail because a note about the visit could not be kept. A refusal to write also marks the
    request read-only, so its page shows the read-only banner (``base.html``).
    """
    try:
        yield
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        # The database's own message: the statement's parameters (addresses, times) stay out.
        reason = getattr(error, "orig", None) or error
        current_app.logger.warning("Could not %s; the request goes on without it: %s", what, reason)
        if database_failure(error) is DatabaseFailure.READ_ONLY:
            mark_read_only()


def mark_read_only() -> None:
    """Note that the database refused a write in this request (its page shows the banner)."""
    g.database_read_only = True


def database_state() -> dict[str, bool]:
    """Template variables: whether this request found the database read-only or out of reach."""
    return {
        "database_read_only": g.get("database_read_only", False),
        "database_unreachable": g.get("database_unreachable", False),
    }
