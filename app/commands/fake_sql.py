"""The SQL behind ``flask fake``: the database draws the follows and posts itself.

Python cannot make ten million rows in minutes, and the database can: each bulk statement here
is one ``INSERT ... SELECT`` over a range of numbers, drawing its random choices with the
database's ``random()`` and looking them up in small temporary tables that Python filled (who
posts how often, who is how popular, the texts). A pick is a uniform random slot number and
each account owns as many slots as its weight, so a skewed choice is a plain equality join.

The statements are written once for SQLite and PostgreSQL; the few spellings that differ
(random numbers, number series, timestamps as text or as ``timestamptz``) come from
:class:`Dialect`. Temporary tables live on the one connection the command uses and disappear
with it; nothing here changes the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.models import Post, User, followers
from app.models.counts import drop_triggers, ensure_user_stats, present_triggers

# The temporary tables, dropped when the load ends (and before a resumed one starts).
TEMP_TABLES = ("fake_user", "fake_author", "fake_popular", "fake_text", "fake_n")
# Rounds of drawing follows: each draws again what duplicates took away (a fifth at first).
FOLLOW_DRAWS = 3


@dataclass(frozen=True)
class Dialect:
    """How to spell the few things SQLite and PostgreSQL write differently."""

    name: str

    @property
    def postgres(self) -> bool:
        """PostgreSQL (else SQLite)."""
        return self.name == "postgresql"

    def below(self, bound: str) -> str:
        """A uniform random integer in [0, ``bound``)."""
        if self.postgres:
            return f"floor(random() * {bound})::int"
        return f"abs(random() % {bound})"

    def unit(self) -> str:
        """A uniform random number in [0, 1)."""
        return "random()" if self.postgres else "(abs(random() % 1000000000) / 1e9)"

    def numbers(self, low: str, high: str) -> str:
        """A ``WITH RECURSIVE`` item ``s(n)``: the integers from ``low`` to ``high``."""
        if self.postgres:
            return f"s(n) AS (SELECT generate_series(CAST({low} AS int), CAST({high} AS int)))"
        return f"s(n) AS (SELECT {low} UNION ALL SELECT n + 1 FROM s WHERE n < {high})"  # noqa: S608

    def time(self, epoch: str) -> str:
        """The column value for ``epoch`` seconds (UTC), as the app's ``UTCDateTime`` stores it.

        On SQLite that is text, ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's format, which
        keyset pages compare as text); SQLite gives milliseconds, padded to six digits.
        """
        if self.postgres:
            return f"to_timestamp({epoch})"
        return f"(strftime('%Y-%m-%d %H:%M:%f', {epoch}, 'unixepoch') || '000')"

    def epoch(self, column: str) -> str:
        """Seconds since 1970 of a stored ``UTCDateTime``."""
        if self.postgres:
            return f"extract(epoch from {column})"
        return f"((julianday({column}) - 2440587.5) * 86400.0)"

    def greatest(self, a: str, b: str) -> str:
        """The larger of two values."""
        return f"greatest({a}, {b})" if self.postgres else f"max({a}, {b})"

    def insert_ignoring_duplicates(self, table: str) -> tuple[str, str]:
        """The head and tail of an ``INSERT`` that skips rows whose key is already there."""
        if self.postgres:
            return f"INSERT INTO {table}", "ON CONFLICT DO NOTHING"
        return f"INSERT OR IGNORE INTO {table}", ""


def quoted(connection: sa.Connection, table: sa.Table) -> str:
    """``table``'s name as SQL (``user`` is a reserved word on PostgreSQL)."""
    return connection.dialect.identifier_preparer.format_table(table)


def create_temp_tables(connection: sa.Connection) -> None:
    """The lookup tables the bulk statements join (on this connection only)."""
    drop_temp_tables(connection)
    for ddl in (
        # One row per fake account in generation order (``pos``): its database id, its
        # popularity rank (0 = most followed), how many accounts it follows, whether it is
        # one of the few who follow the maximum, and its ranges of author and popular slots.
        "CREATE TEMP TABLE fake_user (pos INTEGER PRIMARY KEY, id INTEGER NOT NULL, "
        "popularity INTEGER NOT NULL, wanted INTEGER NOT NULL, heavy INTEGER NOT NULL, "
        "author_start INTEGER NOT NULL, author_slots INTEGER NOT NULL, "
        "popular_start INTEGER NOT NULL, popular_slots INTEGER NOT NULL)",
        "CREATE INDEX fake_user_popularity ON fake_user (popularity)",
        "CREATE TEMP TABLE fake_author (slot INTEGER PRIMARY KEY, user_id INTEGER NOT NULL)",
        "CREATE TEMP TABLE fake_popular (slot INTEGER PRIMARY KEY, user_id INTEGER NOT NULL)",
        "CREATE TEMP TABLE fake_text (n INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        "CREATE TEMP TABLE fake_n (n INTEGER PRIMARY KEY)",
    ):
        connection.exec_driver_sql(ddl)


def drop_temp_tables(connection: sa.Connection) -> None:
    """Drop the lookup tables if this connection has them."""
    for table in TEMP_TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def fill_temp_tables(
    connection: sa.Connection, accounts: list[dict], texts: list[str], numbers: int
) -> None:
    """Fill the lookup tables: ``accounts`` rows of ``fake_user``, the texts, then the slots.

    ``numbers`` is the largest count any account needs spelled out as rows (slots, follows).
    """
    dialect = Dialect(connection.dialect.name)
    connection.execute(
        sa.text(
            "INSERT INTO fake_user VALUES (:pos, :id, :popularity, :wanted, :heavy, "
            ":author_start, :author_slots, :popular_start, :popular_slots)"
        ),
        accounts,
    )
    connection.execute(
        sa.text("INSERT INTO fake_text VALUES (:n, :body)"),
        [{"n": n, "body": body} for n, body in enumerate(texts)],
    )
    connection.execute(
        sa.text(
            f"WITH RECURSIVE {dialect.numbers('1', ':high')} "  # noqa: S608
            "INSERT INTO fake_n SELECT n FROM s"
        ),
        {"high": numbers},
    )
    for kind in ("author", "popular"):
        connection.exec_driver_sql(
            f"INSERT INTO fake_{kind} SELECT u.{kind}_start + k.n - 1, u.id "  # noqa: S608
            f"FROM fake_user u JOIN fake_n k ON k.n <= u.{kind}_slots"
        )
    if dialect.postgres:
        # Temporary tables get no statistics from autovacuum; the joins need row counts.
        connection.exec_driver_sql(
            "ANALYZE fake_user, fake_author, fake_popular, fake_text, fake_n"
        )


def insert_posts(
    connection: sa.Connection,
    low: int,
    high: int,
    start: float,
    step: float,
    slots: int,
    texts: int,
) -> None:
    """Posts number ``low`` to ``high`` (their ids): post n is written at
    ``start + (n - 1 + jitter) * step`` (epoch seconds), so ids grow with time as in real use,
    by an author drawn from the author slots, with a text drawn from the pool."""
    dialect = Dialect(connection.dialect.name)
    # MATERIALIZED: the draws are made once per post, never re-run inside a join.
    sql = (
        f"WITH RECURSIVE {dialect.numbers(':low', ':high')}, "  # noqa: S608
        "picks AS MATERIALIZED (SELECT n, "
        f"{dialect.below(':slots')} AS slot, {dialect.below(':texts')} AS text, "
        f"{dialect.unit()} AS jitter FROM s) "
        f"INSERT INTO {quoted(connection, Post.__table__)} (id, body, timestamp, user_id) "
        f"SELECT p.n, t.body, {dialect.time('(:start + (p.n - 1 + p.jitter) * :step)')}, "
        "a.user_id "
        "FROM picks p JOIN fake_author a ON a.slot = p.slot JOIN fake_text t ON t.n = p.text"
    )
    connection.execute(
        sa.text(sql),
        {"low": low, "high": high, "start": start, "step": step, "slots": slots, "texts": texts},
    )
    if dialect.postgres:
        # Posts carry explicit ids: move the sequence past them, so that a database left by
        # an interrupted run takes new posts.
        connection.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('post', 'id'), :high)"), {"high": high}
        )


def date_joined_from_first_posts(connection: sa.Connection, start: float) -> None:
    """People join a little before their first post (up to a day; never before ``start``).

    Accounts without posts keep the join time they were inserted with. Their confirmation and
    last update are the join time too: fake people may post at once.
    """
    dialect = Dialect(connection.dialect.name)
    user, post = quoted(connection, User.__table__), quoted(connection, Post.__table__)
    first = dialect.epoch("min(timestamp)")
    joined = dialect.greatest(":start", f"{first} - 1 - {dialect.unit()} * 86399")
    connection.execute(
        sa.text(
            f"UPDATE {user} SET created_at = f.joined, updated_at = f.joined, "  # noqa: S608
            "email_confirmed_at = f.joined "
            f"FROM (SELECT user_id, {dialect.time(joined)} AS joined FROM {post} "
            f"GROUP BY user_id) AS f WHERE {user}.id = f.user_id"
        ),
        {"start": start},
    )


def insert_follows(
    connection: sa.Connection, low: int, high: int, cap: int, slots: int, now: float
) -> None:
    """The follows of the accounts at positions ``low`` to ``high``.

    Most draw the accounts they follow from the popular slots: a draw of oneself or of an
    account already followed is dropped, so the draw is repeated for what is missing (a few
    end up following a little fewer than ``wanted``). The heavy followers follow the ``cap``
    most popular accounts but themselves. A follow begins after both accounts had joined,
    nearer the present more often than not (the later of two uniform draws).
    """
    dialect = Dialect(connection.dialect.name)
    head, tail = dialect.insert_ignoring_duplicates(quoted(connection, followers))
    user = quoted(connection, User.__table__)
    since = dialect.greatest(dialect.epoch("a.created_at"), dialect.epoch("b.created_at"))
    began = dialect.time(
        f"({since} + (:now - {since}) * {dialect.greatest(dialect.unit(), dialect.unit())})"
    )
    insert = (
        f"{head} (follower_id, followed_id, created_at) "  # noqa: S608
        f"SELECT p.follower, p.followed, {began} "
        f"FROM picks p JOIN {user} a ON a.id = p.follower JOIN {user} b ON b.id = p.followed "
        f"{tail}"
    )
    params = {"low": low, "high": high, "cap": cap, "slots": slots, "now": now}
    # How many each follower of the chunk has so far (the chunk's ids are consecutive).
    have = (
        "SELECT follower_id, count(*) AS n FROM followers WHERE follower_id BETWEEN "
        "(SELECT id FROM fake_user WHERE pos = :low) "
        "AND (SELECT id FROM fake_user WHERE pos = :high) "
        "GROUP BY follower_id"
    )
    # CROSS JOIN: SQLite then reads the chunk's accounts first and a range of numbers for each;
    # left to choose, it read every number against every account (90 million row visits per
    # statement at L, 246 of the 398 s the load took).
    for _ in range(FOLLOW_DRAWS):
        connection.execute(
            sa.text(
                "WITH draws AS MATERIALIZED (SELECT u.id AS follower, "  # noqa: S608
                f"{dialect.below(':slots')} AS slot FROM fake_user u "
                f"LEFT JOIN ({have}) h ON h.follower_id = u.id "
                "CROSS JOIN fake_n k "
                "WHERE u.pos BETWEEN :low AND :high AND u.heavy = 0 "
                "AND k.n <= u.wanted - coalesce(h.n, 0)), "
                "picks AS (SELECT d.follower, f.user_id AS followed FROM draws d "
                "JOIN fake_popular f ON f.slot = d.slot WHERE f.user_id <> d.follower) "
                f"{insert}"
            ),
            params,
        )
    connection.execute(
        sa.text(
            "WITH picks AS (SELECT h.id AS follower, r.id AS followed FROM fake_user h "  # noqa: S608
            "JOIN fake_user r ON r.popularity < :cap + CASE WHEN h.popularity < :cap "
            "THEN 1 ELSE 0 END AND r.id <> h.id "
            "WHERE h.pos BETWEEN :low AND :high AND h.heavy = 1) "
            f"{insert}"
        ),
        params,
    )


def _set_aside() -> list[
    tuple[sa.Table, str, sa.schema.ExecutableDDLElement, sa.schema.ExecutableDDLElement]
]:
    """What PostgreSQL maintains row by row at a high cost during the load: the foreign keys
    to ``user`` (a trigger and an index probe per row) and the indexes filled in random order.

    Each as (table, name, how to create it, how to drop it), made from the models' metadata,
    which ``flask db check`` holds equal to the migrations.
    """
    items = []
    post = Post.__table__
    for table, column in (
        (post, "user_id"),
        (followers, "follower_id"),
        (followers, "followed_id"),
    ):
        key = next(c for c in table.foreign_key_constraints if c.column_keys == [column])
        items.append((table, key, sa.schema.AddConstraint(key), sa.schema.DropConstraint(key)))
    for table, name in (
        (post, "ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id"),
        (followers, "ix_followers_followed_id_created_at"),
    ):
        index = next(i for i in table.indexes if i.name == name)
        items.append((table, index, sa.schema.CreateIndex(index), sa.schema.DropIndex(index)))
    return [(table, _name(thing), create, drop) for table, thing, create, drop in items]


def _name(thing: sa.ForeignKeyConstraint | sa.Index) -> str:
    # Foreign keys are named by the metadata's naming convention when compiled.
    if isinstance(thing, sa.Index):
        return thing.name
    return sa.dialects.postgresql.dialect().identifier_preparer.format_constraint(thing).strip('"')


def _present(connection: sa.Connection, table: sa.Table) -> set[str]:
    inspector = sa.inspect(connection)
    names = {key["name"] for key in inspector.get_foreign_keys(table.name)}
    return names | {index["name"] for index in inspector.get_indexes(table.name)}


def set_aside_for_load(connection: sa.Connection) -> list[str]:
    """Drop the stored counts' triggers and, on PostgreSQL, what :func:`_set_aside` lists
    (committed); returns their names.

    Measured at L (10,000 users, 1,000,000 posts): the database's own work fell from 35 s of
    CPU to 15 s, plus 4 s to rebuild them afterwards. SQLite cannot drop a foreign key, and
    loads L in under a minute with everything in place.
    """
    # The triggers that keep the stored counts would update a counts row per post and follow:
    # they go on both databases, and everything is counted once at the end.
    dropped = ["user_stats triggers"] if present_triggers(connection) else []
    drop_triggers(connection)
    if connection.dialect.name != "postgresql":
        connection.commit()
        return dropped
    for table, name, _create, drop in _set_aside():
        if name in _present(connection, table):
            connection.execute(drop)
            dropped.append(name)
    connection.commit()
    return dropped


def restore_after_load(connection: sa.Connection) -> list[str]:
    """Create whatever :func:`set_aside_for_load` dropped and is still missing (also after an
    interrupted run), exactly as the metadata defines it, and count every account's posts and
    follows; returns their names."""
    made = []
    if connection.dialect.name == "postgresql":
        made = _restore_set_aside(connection)
    # After the indexes: the recount reads them.
    if not present_triggers(connection):
        made.append("user_stats triggers")
    ensure_user_stats(connection)
    connection.commit()
    return made


def _restore_set_aside(connection: sa.Connection) -> list[str]:
    connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
    made = []
    for table, name, create, _drop in _set_aside():
        if name not in _present(connection, table):
            connection.execute(create)
            made.append(name)
    connection.commit()
    connection.exec_driver_sql("RESET maintenance_work_mem")
    return made


def speed_up_bulk_load(connection: sa.Connection) -> None:
    """Settings for this connection only, for the load."""
    if connection.dialect.name == "sqlite":
        # A bigger page cache keeps index inserts in memory.
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
    else:
        # Hash joins and sorts of a chunk stay in memory; a crash may lose the last chunks
        # committed (never corrupt them), which --resume then makes again.
        connection.exec_driver_sql("SET work_mem = '256MB'")
        connection.exec_driver_sql("SET synchronous_commit = off")


def finish_bulk_load(connection: sa.Connection) -> None:
    """Undo :func:`speed_up_bulk_load` before the connection goes back to the pool."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -65536")
    else:
        connection.exec_driver_sql("RESET work_mem")
        connection.exec_driver_sql("RESET synchronous_commit")
