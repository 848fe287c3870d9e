"""Settings for the app's own database connections, applied to each new one by its engine."""

import sqlalchemy as sa


def configure_connections(engine: sa.Engine) -> None:
    """Have ``engine`` apply the settings of its database to every connection it opens.

    Bound to the app's engine only: other engines in the process (a migration's, a test's)
    keep the driver's defaults.
    """
    settings = {"sqlite": _configure_sqlite, "postgresql": _configure_postgresql}.get(
        engine.dialect.name
    )
    if settings is not None:
        sa.event.listen(engine, "connect", settings)


def _configure_sqlite(dbapi_connection, _record) -> None:
    """Settings for a multi-process web server."""
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


def _configure_postgresql(dbapi_connection, _record) -> None:
    # Page queries take a millisecond or two, but the home timeline's cost *estimate* is
    # large (for a branch that usually does not run), so PostgreSQL would JIT-compile it
    # on every page, which takes 20-100 ms. The app never runs long analytic queries.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()
