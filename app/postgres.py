"""PostgreSQL settings for the app's own connections, applied to every new one."""

import psycopg
import sqlalchemy as sa


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_postgresql(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    with dbapi_connection.cursor() as cursor:
        # Page queries take a millisecond or two, but the home timeline's cost *estimate* is
        # large (for a branch that usually does not run), so PostgreSQL would JIT-compile it
        # on every page, which takes 20-100 ms. The app never runs long analytic queries.
        cursor.execute("SET jit = off")
    dbapi_connection.commit()
