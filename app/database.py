"""Settings for the app's own database connections, applied to each new one by its engine."""

import logging
import os
import sqlite3
import threading

import psycopg
import sqlalchemy as sa
import sqlalchemy.orm as so

log = logging.getLogger(__name__)

BACKSTOP_CHECKPOINT_PAGES = 10_000
"""With checkpoints in the background, a request still checkpoints once the WAL holds this
many pages (about 40 MB) uncopied: only if the background thread falls behind or stops."""


def configure_connections(
    engine: sa.Engine, checkpoint_seconds: float = 0
) -> "BackgroundCheckpoints | None":
    """Have ``engine`` apply the settings of its database to every connection it opens.

    Bound to the app's engine only: other engines in the process (a migration's, a test's)
    keep the driver's defaults. ``checkpoint_seconds`` (SQLite database files only; 0: off)
    moves WAL checkpoints out of requests, see :class:`BackgroundCheckpoints` (returned).
    """
    settings = {"sqlite": _configure_sqlite, "postgresql": _configure_postgresql}.get(
        engine.dialect.name
    )
    if settings is not None:
        sa.event.listen(engine, "connect", settings)
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "rollback", _end_read_only_transaction)
        keep_long_statements_parsed()
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if checkpoint_seconds > 0 and path and path != ":memory:":
        checkpoints = BackgroundCheckpoints(path, checkpoint_seconds)
        sa.event.listen(engine, "connect", checkpoints.on_connect)
        return checkpoints
    return None


LONGEST_PARSED_STATEMENT = 32_768
"""The longest statement text (bytes) whose parameters psycopg keeps parsed, see
:func:`keep_long_statements_parsed`."""


def keep_long_statements_parsed() -> None:
    """Have psycopg keep the parse of statements up to :data:`LONGEST_PARSED_STATEMENT` bytes.

    psycopg turns a statement's ``%(name)s`` parameters into ``$1, $2...`` by scanning its
    text, and keeps the result (in a cache of 128 texts) only for texts of at most 4,096
    bytes (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``, against ORM statements that are
    never the same twice). Home's page statement is 17-21 kB, and the same few texts every
    page (app/listings/frozen.py): scanned afresh, 0.12-0.21 ms of the app's CPU per home page
    at L. The cache stays bounded (128 entries). psycopg names the limit as a module constant,
    not a setting: if a version moves it, nothing changes but the speed, and
    tests/platform/test_postgresql.py fails to say so.
    """
    queries = getattr(psycopg, "_queries", None)
    if queries is not None and getattr(queries, "MAX_CACHED_STATEMENT_LENGTH", 0) < (
        LONGEST_PARSED_STATEMENT
    ):
        queries.MAX_CACHED_STATEMENT_LENGTH = LONGEST_PARSED_STATEMENT


class BackgroundCheckpoints:
    """WAL checkpoints of a SQLite file run by a thread of each process, not by requests.

    SQLite copies the WAL back into the database (a checkpoint, with an fsync of both files)
    inside the commit that takes the WAL over 1,000 pages: about one post in sixty paid for
    it, and while readers keep the WAL in use the next commits try again. On a copy of L a
    post took 2.75 ms of wall time in its commit with that, 0.63 ms without (cProfile, 200
    posts). Here the app's connections checkpoint only past :data:`BACKSTOP_CHECKPOINT_PAGES`
    and a daemon thread runs ``PRAGMA wal_checkpoint(PASSIVE)`` every ``seconds`` on a
    connection of its own: PASSIVE waits for no one, and the thread's I/O and SQLite's copying
    run without the GIL, beside the requests. A forked worker starts its own thread on its
    first connection (threads do not survive a fork).
    """

    def __init__(self, path: str, seconds: float) -> None:
        self.path, self.seconds = path, seconds
        self.pid: int | None = None
        self.stopped = threading.Event()
        self.runs = 0  # checkpoints done by this process's thread, for tests and curiosity

    def on_connect(self, dbapi_connection, _record) -> None:
        """An app connection: it leaves checkpoints to the thread, which starts if needed."""
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        if self.pid != os.getpid():
            self.pid = os.getpid()
            threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True).start()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        try:
            while not self.stopped.wait(self.seconds):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error as error:  # busy or gone: the next one tries again
                    log.warning("WAL checkpoint of %s failed: %s", self.path, error)
        finally:
            connection.close()

    def stop(self) -> None:
        """End this process's thread (at its next wake-up)."""
        self.stopped.set()


def _configure_sqlite(dbapi_connection, _record) -> None:
    """Settings for a multi-process web server."""
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once; the busy timeout waits for a lock instead of
    # failing; foreign keys make ON DELETE CASCADE real. In-memory databases ignore WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Setting a flag pragma discards every statement the connection has prepared (home's page
    # statement takes SQLite 0.3-0.45 s to prepare): only when off, as on a new connection
    # (the test suite hands each test's app the same one, tests/conftest.py).
    if not cursor.execute("PRAGMA foreign_keys").fetchone()[0]:
        cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Up to 64 MiB of pages per connection (the default is 2 MiB): the index pages timelines
    # read stay in the process instead of being read again from the OS on every page.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _configure_postgresql(dbapi_connection, _record) -> None:
    with dbapi_connection.cursor() as cursor:
        # Page queries take a millisecond or two, but the home timeline's cost *estimate* is
        # large (for a branch that usually does not run), so PostgreSQL would JIT-compile it
        # on every page, which takes 20-100 ms. The app never runs long analytic queries.
        cursor.execute("SET jit = off")
        # psycopg prepares a statement on its fifth run on a connection. With the default
        # (auto) plan cache mode PostgreSQL still plans the big listing statements afresh each
        # time, because their generic plan's estimate is higher: at L planning was two thirds
        # of the home statement's time. Generic plans are planned once per connection. Pages
        # whose best plan depends on the values searched for opt out: see custom_plans().
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    dbapi_connection.commit()


def custom_plans(session: so.Session) -> None:
    """Plan the rest of ``session``'s transaction for its parameters' values (PostgreSQL).

    For statements whose best plan depends on how common the searched words or tag are: a
    generic plan cannot see that (at L a phrase search took 66 ms with one, 2 ms without).
    No-op on SQLite, which plans every statement anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _end_read_only_transaction(connection: sa.Connection) -> None:
    """Commit, instead of rolling back, a PostgreSQL transaction that wrote nothing.

    A page ends its transaction with a rollback, and psycopg forgets every prepared statement
    on a rollback (DEALLOCATE ALL: in case the transaction created what they name), so no
    statement ever stayed prepared from one request to the next. A transaction without a
    transaction id has written nothing, so committing it ends it the same way; the rollback
    SQLAlchemy then sends is skipped by psycopg (nothing is open). Costs one round trip per
    read-only request; a transaction that wrote or failed is rolled back as before.
    """
    raw = connection.connection.dbapi_connection
    if raw is None or raw.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        return
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NULL")
            (wrote_nothing,) = cursor.fetchone()
        if wrote_nothing:
            raw.commit()
    except psycopg.Error:
        return  # a lost connection: the rollback that follows deals with it


class DriverStatement:
    """A Core statement compiled once for one database and sent as its SQL text.

    ``connection.execute()`` of a Core statement pays, on each run, for its cache key, the
    compiled-cache look-up, the parameters' processing by name and the result's column
    metadata: about 0.1 ms of the app's CPU per statement above the database's own work, more
    than SQLite spends on most of a post's statements. This keeps the SQL text, the order of
    its parameters and their types' converters, and runs it with ``exec_driver_sql``, which
    still goes through the engine (its events, its error wrapping, the transaction).

    For statements run on every request of a kind (a post); ``expanding`` parameters (``IN``
    lists) are refused: their text changes with the list's length.
    """

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a DriverStatement cannot take an expanding (IN list) parameter")
        self.sql = compiled.string
        self.dialect_name = dialect.name
        # Positional drivers (sqlite3) take the values in this order, a name possibly twice.
        self.order = compiled.positiontup if compiled.positional else None
        # Values the statement carries itself (a LIMIT's), under the parameters given.
        self.defaults = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if not bind.required and bind.callable is None
        }
        self.converters = {}
        for name, bind in compiled.binds.items():
            converter = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if converter is not None:
                self.converters[name] = converter

    def execute(self, connection: sa.Connection, parameters: dict) -> sa.CursorResult:
        """Run the statement on ``connection`` with ``parameters`` (by their bind names)."""
        if connection.dialect.name != self.dialect_name:
            raise ValueError(f"compiled for {self.dialect_name}, run on {connection.dialect.name}")
        values = self.defaults | parameters
        for name, converter in self.converters.items():
            values[name] = converter(values[name])
        if self.order is not None:
            return connection.exec_driver_sql(self.sql, tuple(values[name] for name in self.order))
        return connection.exec_driver_sql(self.sql, values)
