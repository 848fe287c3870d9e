"""The SQL behind ``flask fake``: the database draws the posts itself; follows go in by COPY.

Posts are drawn by the database: each chunk is one ``INSERT ... SELECT`` over a range of
numbers, drawing its random choices (SQLite: ``random()``; PostgreSQL: a hash of the post's
number and the seed, :func:`hashed`, so that chunks can go on several connections) and looking
them up in small temporary tables that Python filled (who posts how often, the texts). A pick
is a plain equality join: on SQLite a uniform random slot number, each account owning as many
slots as its weight; on PostgreSQL a uniform position in the alias table of the accounts
(:func:`alias_table`), one row per account, which the planner joins by hash. Follows are
drawn in Python (each follower's draws need the ones before them, which in SQL meant rounds of
statements checking the follows made so far) and written by :func:`write_rows`: COPY on
PostgreSQL.

Posts get their search words and hashtags in the same committed chunk, without the tokenizer
running per post: a post's text is one of the pool's, so each text is cut into words once
(:func:`fill_search_words`) and the chunk's ``post_search`` and ``post_tag`` rows are joined in
by the drawn text's number (a ten-million-post run used to tokenize and insert them one by
one, afterwards, which took longer than the rest of the load: 405 s per million posts on
PostgreSQL).

The statements are written once for SQLite and PostgreSQL; the few spellings that differ
(random numbers, number series, timestamps as text or as ``timestamptz``) come from
:class:`Dialect`. Temporary tables live on the one connection the command uses and disappear
with it; nothing here changes the schema.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.models import Like, Notification, Post, PostSearch, Tag, User, followers, post_tag
from app.models.counts import drop_triggers, post_stats, present_triggers
from app.models.search import (
    FTS5_DROP_TRIGGERS,
    FTS5_REBUILD,
    FTS5_TRIGGERS,
    POSTGRESQL_INDEXES,
    SearchPairs,
    SearchTerms,
    drop_recent_triggers,
    hashtags,
    search_tokens,
)

# The temporary tables, dropped when the load ends (and before a resumed one starts).
TEMP_TABLES = (
    "fake_user",
    "fake_author",
    "fake_alias",
    "fake_text",
    "fake_n",
    "fake_words",
    "fake_tags",
    "fake_reply",
    "fake_drawn",
)
# The tables the load fills, whose autovacuum it turns off meanwhile on PostgreSQL.
LOADED_TABLES = ("post", "post_search", "post_tag", "followers", "post_like", "notification")
# SQLite's triggers that copy post_search rows into the FTS5 index, one row at a time.
FTS5_TRIGGER_NAMES = ("post_search_ai", "post_search_ad", "post_search_au")


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

    def unit_of(self, number: str, salt: int) -> str:
        """A uniform number in [0, 1) for ``number``: on PostgreSQL drawn by :func:`hashed`
        (the same for the same number and salt, on any connection), on SQLite at random."""
        if self.postgres:
            return f"(({hashed(number, salt)} & 16777215)::float8 / 16777216)"
        return self.unit()

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


HASH_MASK = (1 << 62) - 1
"""The hash's bits kept for a draw: positive, and so wide that ``% bound`` favours no value."""


def hashed(number: str, salt: int) -> str:
    """PostgreSQL: a 62-bit pseudo-random integer for the integer ``number`` and ``salt``
    (``hashint8extended``, the hash of hash indexes and partitions: uniform bits).

    The posts' draws on PostgreSQL: a post's author, text and time are a function of its
    number and ``--seed``, so any connection knows the author of any post, written or not,
    and the chunks of posts can be written on several connections in any order (a reply
    names the author it answers without reading that post)."""
    return f"(hashint8extended(CAST({number} AS bigint), {salt}) & {HASH_MASK})"


def drawn_below(number: str, bound: str, salt: int) -> str:
    """PostgreSQL: a uniform integer in [0, ``bound``) for ``number`` (:func:`hashed`)."""
    return f"CAST({hashed(number, salt)} % {bound} AS int)"


# The salts of the posts' draws (times the seed's own): one per thing drawn.
AUTHOR_SALT, TEXT_SALT, TIME_SALT, JOINED_SALT, ALIAS_SALT = range(5)


def salt(seed: int, what: int) -> int:
    """The salt of one kind of draw for ``--seed``."""
    return seed * 16 + what


def quoted(connection: sa.Connection, table: sa.Table) -> str:
    """``table``'s name as SQL (``user`` is a reserved word on PostgreSQL)."""
    return connection.dialect.identifier_preparer.format_table(table)


TEMP_BUFFERS = "256MB"
"""PostgreSQL: the memory for temporary tables a connection of the load asks for (the default,
8 MB, held a fifth of XL's 2 million author slots when the posts looked their authors up
there: each lookup read its pages from the kernel, and wrote back the pages the read had
dirtied; the likes' million hot-post slots still need it). The server takes it as the tables
fill, not at once (at XL about 60 MB for the likes' hot posts)."""


def keep_temp_tables_in_memory(connection: sa.Connection) -> None:
    """PostgreSQL: give this connection :data:`TEMP_BUFFERS` for its temporary tables, if it
    has used none yet (the size is fixed at the first use; a connection back from the pool may
    have used some: it keeps its size, which is only slower)."""
    if not Dialect(connection.dialect.name).postgres:
        return
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f"SET temp_buffers = '{TEMP_BUFFERS}'")
    except sa.exc.DBAPIError:
        pass


def create_temp_tables(connection: sa.Connection) -> None:
    """The lookup tables the bulk statements join (on this connection only)."""
    keep_temp_tables_in_memory(connection)
    drop_temp_tables(connection)
    postgres = Dialect(connection.dialect.name).postgres
    terms, pairs = ("tsvector", "integer[]") if postgres else ("TEXT", "TEXT")
    for ddl in (
        # SQLite: one row per fake account in generation order (``pos``), its database id
        # and its range of author slots.
        "CREATE TEMP TABLE fake_user (pos INTEGER PRIMARY KEY, id INTEGER NOT NULL, "
        "author_start INTEGER NOT NULL, author_slots INTEGER NOT NULL)",
        # SQLite's author slots: one row per slot, the account owning it.
        "CREATE TEMP TABLE fake_author (slot INTEGER PRIMARY KEY, user_id INTEGER NOT NULL)",
        # PostgreSQL's draw of an author instead (:func:`alias_table`): by position, the
        # account's id, the share of draws it keeps, and the id of the account given the rest.
        "CREATE TEMP TABLE fake_alias (pos INTEGER PRIMARY KEY, id INTEGER NOT NULL, "
        "keep DOUBLE PRECISION NOT NULL, alias_id INTEGER NOT NULL)",
        "CREATE TEMP TABLE fake_text (n INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        "CREATE TEMP TABLE fake_n (n INTEGER PRIMARY KEY)",
        # Each text's search words and pairs of words, as post_search stores them, and its
        # tags, by its number.
        f"CREATE TEMP TABLE fake_words (n INTEGER PRIMARY KEY, terms {terms} NOT NULL, "
        f"pairs {pairs})",
        "CREATE TEMP TABLE fake_tags (n INTEGER NOT NULL, tag_id INTEGER NOT NULL, "
        "PRIMARY KEY (n, tag_id))",
        # The replies among a chunk's posts (fake_threads.ReplyPlan), emptied for each chunk.
        f"CREATE TEMP TABLE fake_reply (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, "
        f"path {'bytea' if Dialect(connection.dialect.name).postgres else 'BLOB'} NOT NULL)",
        # A chunk's drawn posts, before they are written: a reply's parent may be among them.
        "CREATE TEMP TABLE fake_drawn (n INTEGER PRIMARY KEY, jitter REAL NOT NULL, "
        "user_id INTEGER NOT NULL, text INTEGER NOT NULL)",
    ):
        connection.exec_driver_sql(ddl)


def drop_temp_tables(connection: sa.Connection) -> None:
    """Drop the lookup tables if this connection has them."""
    for table in TEMP_TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def alias_table(weights: list[int]) -> list[tuple[float, int]]:
    """Walker's alias method (Vose's construction): for each position a share in [0, 1] and
    another position, such that drawing a position uniformly, keeping it for a uniform number
    below its share and taking the other one otherwise, draws each position in proportion to
    its weight.

    PostgreSQL's posts draw their authors so, from a table of one row per account joined by
    hash: a table of one row per author slot (XL: 2 million) took an index probe per post,
    5 us each; at XL the posts' server CPU fell by 41-81 s (docs/performance.md).
    """
    count, total = len(weights), sum(weights)
    scaled = [weight * count / total for weight in weights]
    keep, other = [1.0] * count, list(range(count))
    small = [pos for pos, share in enumerate(scaled) if share < 1]
    large = [pos for pos, share in enumerate(scaled) if share >= 1]
    while small and large:
        lesser, greater = small.pop(), large.pop()
        keep[lesser], other[lesser] = scaled[lesser], greater
        scaled[greater] -= 1 - scaled[lesser]
        (small if scaled[greater] < 1 else large).append(greater)
    # What is left has a share of 1, give or take rounding: it keeps every draw.
    return list(zip(keep, other, strict=True))


FAKE_ALIAS = sa.Table(
    "fake_alias",
    sa.MetaData(),
    sa.Column("pos", sa.Integer),
    sa.Column("id", sa.Integer),
    sa.Column("keep", sa.Float),
    sa.Column("alias_id", sa.Integer),
)


def fill_temp_tables(
    connection: sa.Connection, accounts: list[dict], texts: list[str], numbers: int
) -> None:
    """Fill the lookup tables: the texts and their search words, and the accounts' alias
    table (PostgreSQL) or ``accounts`` rows of ``fake_user`` and their author slots (SQLite).

    ``numbers`` is the largest number of slots an account has.
    """
    dialect = Dialect(connection.dialect.name)
    connection.execute(
        sa.text("INSERT INTO fake_text VALUES (:n, :body)"),
        [{"n": n, "body": body} for n, body in enumerate(texts)],
    )
    if dialect.postgres:
        alias = alias_table([account["author_slots"] for account in accounts])
        ids = [account["id"] for account in accounts]
        rows = [(pos, ids[pos], keep, ids[other]) for pos, (keep, other) in enumerate(alias)]
        write_rows(connection, FAKE_ALIAS, ("pos", "id", "keep", "alias_id"), rows)
    else:
        connection.execute(
            sa.text("INSERT INTO fake_user VALUES (:pos, :id, :author_start, :author_slots)"),
            accounts,
        )
        connection.execute(
            sa.text(
                f"WITH RECURSIVE {dialect.numbers('1', ':high')} "  # noqa: S608
                "INSERT INTO fake_n SELECT n FROM s"
            ),
            {"high": numbers},
        )
        connection.exec_driver_sql(
            "INSERT INTO fake_author SELECT u.author_start + k.n - 1, u.id "
            "FROM fake_user u JOIN fake_n k ON k.n <= u.author_slots"
        )
    fill_search_words(connection, texts)
    if dialect.postgres:
        # Temporary tables get no statistics from autovacuum; the joins need row counts.
        connection.exec_driver_sql(f"ANALYZE {', '.join(TEMP_TABLES)}")


def fill_search_words(connection: sa.Connection, texts: list[str]) -> None:
    """Each text's words (``fake_words``) and tags (``fake_tags``) by its number in the pool,
    cut once per distinct text by the same functions as the app's own index upkeep; adds the
    tags the ``tag`` table lacks."""
    cut = {body: search_tokens(body) for body in dict.fromkeys(texts)}
    words = sa.table(
        "fake_words",
        sa.column("n", sa.Integer),
        sa.column("terms", SearchTerms()),
        sa.column("pairs", SearchPairs()),
    )
    connection.execute(
        sa.insert(words),
        [{"n": n, "terms": cut[body], "pairs": cut[body]} for n, body in enumerate(texts)],
    )
    tagged = [(n, name) for n, body in enumerate(texts) for name in hashtags(body)]
    known = add_tags(connection, texts)
    if tagged:
        connection.execute(
            sa.text("INSERT INTO fake_tags VALUES (:n, :tag_id)"),
            [{"n": n, "tag_id": known[name]} for n, name in tagged],
        )


def add_tags(connection: sa.Connection, texts: list[str]) -> dict[str, int]:
    """Add the hashtags of ``texts`` that the ``tag`` table lacks; returns every tag's id by
    name. (Before the posts' connections fill their lookup tables: two adding the same tag
    at once would collide.)"""
    names = {name for body in texts for name in hashtags(body)}
    known = dict(connection.execute(sa.select(Tag.name, Tag.id)).all())
    if missing := sorted(names - set(known)):
        connection.execute(sa.insert(Tag), [{"name": name} for name in missing])
        known = dict(connection.execute(sa.select(Tag.name, Tag.id)).all())
    return known


FAKE_REPLY = sa.Table(
    "fake_reply",
    sa.MetaData(),
    sa.Column("id", sa.Integer),
    sa.Column("parent_id", sa.Integer),
    sa.Column("path", sa.LargeBinary),
)


def insert_posts(
    connection: sa.Connection,
    low: int,
    high: int,
    start: float,
    step: float,
    slots: int,
    accounts: int,
    texts: int,
    replies: list[tuple[int, int, bytes]],
    seed: int = 0,
) -> None:
    """Posts number ``low`` to ``high`` (their ids): post n is written at
    ``start + (n - 1 + jitter) * step`` (epoch seconds), so ids grow with time as in real use,
    by an author drawn in proportion to their slots (SQLite: one of the ``slots`` author
    slots; PostgreSQL: by the alias table of the ``accounts`` accounts), with a text drawn
    from the pool.

    ``replies`` (reply id, id answered, thread path) are among these posts and answer older
    ones, in this chunk or before it. On PostgreSQL the draws are functions of the post's
    number and ``seed`` (:func:`insert_posts_drawn_by_number`): the author answered is drawn
    again, from the number answered, so the chunk needs no other. On SQLite the author
    answered is looked up in the drawn rows or in the posts already written, so chunks go
    in order. A reply so costs nothing but its row.
    """
    dialect = Dialect(connection.dialect.name)
    if dialect.postgres:
        by_number = (low, high, start, step, accounts, texts, replies, seed)
        insert_posts_drawn_by_number(connection, *by_number)
        return
    for table in ("fake_reply", "fake_drawn"):
        connection.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608
    if replies:
        write_rows(connection, FAKE_REPLY, ("id", "parent_id", "path"), replies)
    params = {"low": low, "high": high, "start": start, "step": step}
    # The draws, kept by number: a reply finds its parent's author among them by key (SQLite
    # scanned a CTE for each reply, which made a chunk take minutes).
    connection.execute(
        sa.text(
            # MATERIALIZED: the draws are made once per post, never re-run inside a join.
            f"WITH RECURSIVE {dialect.numbers(':low', ':high')}, "  # noqa: S608
            "picks AS MATERIALIZED (SELECT n, "
            f"{dialect.below(':slots')} AS slot, {dialect.below(':texts')} AS text, "
            f"{dialect.unit()} AS jitter FROM s) "
            "INSERT INTO fake_drawn (n, jitter, user_id, text) "
            "SELECT p.n, p.jitter, a.user_id, p.text FROM picks p "
            "JOIN fake_author a ON a.slot = p.slot"
        ),
        {**params, "slots": slots, "texts": texts},
    )
    post = quoted(connection, Post.__table__)
    connection.execute(
        sa.text(
            f"INSERT INTO {post} (id, body, timestamp, user_id, in_reply_to_id, "  # noqa: S608
            "in_reply_to_user_id, thread_path) "
            f"SELECT d.n, t.body, {dialect.time('(:start + (d.n - 1 + d.jitter) * :step)')}, "
            "d.user_id, r.parent_id, coalesce(same_chunk.user_id, earlier.user_id), r.path "
            "FROM fake_drawn d JOIN fake_text t ON t.n = d.text "
            "LEFT JOIN fake_reply r ON r.id = d.n "
            "LEFT JOIN fake_drawn same_chunk ON same_chunk.n = r.parent_id "
            f"LEFT JOIN {post} earlier ON earlier.id = r.parent_id AND r.parent_id < :low "
            "ORDER BY d.n"
        ),
        params,
    )
    # Their search words and tags, looked up by the number of their text in the pool (see
    # fill_search_words): joining the new posts back by text hashed 250,000 texts a chunk.
    connection.exec_driver_sql(
        f"INSERT INTO {PostSearch.__tablename__} (post_id, terms, pairs) "  # noqa: S608
        "SELECT d.n, w.terms, w.pairs FROM fake_drawn d JOIN fake_words w ON w.n = d.text"
    )
    connection.exec_driver_sql(
        f"INSERT INTO {post_tag.name} (tag_id, post_id) "  # noqa: S608
        "SELECT t.tag_id, d.n FROM fake_drawn d JOIN fake_tags t ON t.n = d.text"
    )


def insert_posts_drawn_by_number(
    connection: sa.Connection,
    low: int,
    high: int,
    start: float,
    step: float,
    accounts: int,
    texts: int,
    replies: list[tuple[int, int, bytes]],
    seed: int,
) -> None:
    """PostgreSQL's :func:`insert_posts`: each draw is a hash of the post's number
    (:func:`drawn_below`), made where it is used; no table of draws, no post read back.

    Independent of every other chunk, so that chunks can be written on several connections
    at once and a resumed run can fill a chunk missing anywhere (``flask fake``'s posts).
    """
    connection.exec_driver_sql("TRUNCATE fake_reply")
    if replies:
        write_rows(connection, FAKE_REPLY, ("id", "parent_id", "path"), replies)
    # Temporary tables have no statistics: the planner would guess the replies' count.
    connection.exec_driver_sql("ANALYZE fake_reply")
    text = drawn_below("s.n", ":texts", salt(seed, TEXT_SALT))
    # The range written out: the planner then knows the chunk's size, and joins the accounts
    # by hash (with parameters it guessed 1,000 rows and probed an index per post).
    numbers = f"generate_series({int(low)}, {int(high)}) AS s(n)"
    params = {"start": start, "step": step, "accounts": accounts, "texts": texts}
    post = quoted(connection, Post.__table__)
    connection.execute(
        sa.text(
            f"INSERT INTO {post} (id, body, timestamp, user_id, in_reply_to_id, "  # noqa: S608
            "in_reply_to_user_id, thread_path) "
            f"SELECT s.n, t.body, to_timestamp({posted_at('s.n', seed)}), "
            f"{author_of('s.n', 'a', seed)}, r.parent_id, "
            f"{author_of('r.parent_id', 'answered', seed)}, r.path "
            f"FROM {numbers} "
            f"JOIN fake_alias a ON a.pos = {author_position('s.n', seed)} "
            f"JOIN fake_text t ON t.n = {text} "
            "LEFT JOIN fake_reply r ON r.id = s.n "
            "LEFT JOIN fake_alias answered "
            f"ON answered.pos = {author_position('r.parent_id', seed)} "
            "ORDER BY s.n"
        ),
        params,
    )
    # Their search words and tags, by the number of their text in the pool (fill_search_words).
    connection.execute(
        sa.text(
            f"INSERT INTO {PostSearch.__tablename__} (post_id, terms, pairs) "  # noqa: S608
            f"SELECT s.n, w.terms, w.pairs FROM {numbers} JOIN fake_words w ON w.n = {text}"
        ),
        {"texts": texts},
    )
    connection.execute(
        sa.text(
            f"INSERT INTO {post_tag.name} (tag_id, post_id) "  # noqa: S608
            f"SELECT t.tag_id, s.n FROM {numbers} JOIN fake_tags t ON t.n = {text}"
        ),
        {"texts": texts},
    )


def author_position(number: str, seed: int) -> str:
    """PostgreSQL: the position in ``fake_alias`` drawn for post ``number`` (parameter
    ``:accounts``, the number of accounts)."""
    return drawn_below(number, ":accounts", salt(seed, AUTHOR_SALT))


def author_of(number: str, alias: str, seed: int) -> str:
    """PostgreSQL: the author of post ``number``, from its row ``alias`` of ``fake_alias``
    (:func:`alias_table`): the account there, or the one it gives the rest of its draws to.
    Null where the row is (a post that answers none)."""
    kept = Dialect("postgresql").unit_of(number, salt(seed, ALIAS_SALT))
    return f"CASE WHEN {kept} < {alias}.keep THEN {alias}.id ELSE {alias}.alias_id END"


def posted_at(number: str, seed: int) -> str:
    """PostgreSQL: the time (epoch seconds) at which ``flask fake`` writes post ``number``
    (an SQL integer), with the parameters ``:start`` and ``:step`` of
    :func:`insert_posts`: a function of the number and ``seed``, so that the likes can date
    themselves after their post without reading it (``fake_likes.add_likes``)."""
    jitter = Dialect("postgresql").unit_of(number, salt(seed, TIME_SALT))
    return f"(:start + ({number} - 1 + {jitter}) * :step)"


def missing_chunks(connection: sa.Connection, chunks: list[tuple[int, int]]) -> list[int]:
    """Which of the chunks of posts (``(low, high)`` id ranges) have no post written: their
    ``low``. A chunk is written in one transaction, so a chunk with a post has them all."""
    post = Post.__table__
    return [
        low
        for low, high in chunks
        if connection.scalar(sa.select(post.c.id).where(post.c.id.between(low, high)).limit(1))
        is None
    ]


def move_post_sequence(connection: sa.Connection, past: int) -> None:
    """Posts carry explicit ids: move the sequence of new posts' ids past ``past`` (a post
    id), so that a database left by an interrupted run takes new posts (PostgreSQL)."""
    connection.execute(
        sa.text("SELECT setval(pg_get_serial_sequence('post', 'id'), :past)"), {"past": past}
    )


def date_joined_from_first_posts(connection: sa.Connection, start: float, seed: int = 0) -> None:
    """People join a little before their first post (up to a day; never before ``start``).

    Accounts without posts keep the join time they were inserted with. Their confirmation and
    last update are the join time too: fake people may post at once.
    """
    dialect = Dialect(connection.dialect.name)
    user, post = quoted(connection, User.__table__), quoted(connection, Post.__table__)
    first = dialect.epoch("min(timestamp)")
    # Drawn from the account's id on PostgreSQL: the same again if a resumed run makes it again.
    drawn = dialect.unit_of("user_id", salt(seed, JOINED_SALT))
    joined = dialect.greatest(":start", f"{first} - 1 - {drawn} * 86399")
    connection.execute(
        sa.text(
            f"UPDATE {user} SET created_at = f.joined, updated_at = f.joined, "  # noqa: S608
            "email_confirmed_at = f.joined "
            f"FROM (SELECT user_id, {dialect.time(joined)} AS joined FROM {post} "
            f"GROUP BY user_id) AS f WHERE {user}.id = f.user_id"
        ),
        {"start": start},
    )


UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POSTGRES_EPOCH_US = 946_684_800_000_000
"""2000-01-01 UTC in microseconds since 1970: PostgreSQL's binary ``timestamptz`` is a signed
64-bit count of microseconds since 2000-01-01 UTC."""


def micros(value: datetime) -> int:
    """A timezone-aware datetime as whole microseconds since 1970 (UTC), exactly."""
    return (value - UNIX_EPOCH) // timedelta(microseconds=1)


def insert_follows(connection: sa.Connection, rows: list[tuple[int, int, int]]) -> None:
    """Write follows drawn in Python, as (follower id, followed id, when it began in
    microseconds since 1970 UTC: :func:`micros`).

    On PostgreSQL by binary COPY, the time sent as the 64-bit integer that *is* the binary
    ``timestamptz`` (microseconds since 2000): no datetime made or formatted per row. At L
    (a million follows) the text COPY of datetimes cost the command 1.6 s and the server
    0.7-0.8 s a million rows, the binary one 0.25 and 0.35 s, and the times drawn as
    integers instead of datetimes saved the command another ~1.5 µs a follow
    (docs/performance.md, "flask fake at XL: follows and likes").
    """
    columns = ("follower_id", "followed_id", "created_at")
    if connection.dialect.name == "sqlite":
        rows = [(a, b, sqlite_time(UNIX_EPOCH + timedelta(microseconds=t))) for a, b, t in rows]
        write_rows(connection, followers, columns, rows)
        return
    rows = [(a, b, t - POSTGRES_EPOCH_US) for a, b, t in rows]
    write_rows(connection, followers, columns, rows, binary=("int4", "int4", "int8"))


def sqlite_time(value: datetime) -> str:
    """A timezone-aware datetime as the app's ``UTCDateTime`` stores it on SQLite (UTC text,
    ``YYYY-MM-DD HH:MM:SS.ffffff``), for rows written past SQLAlchemy's types."""
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def write_rows(
    connection: sa.Connection,
    table: sa.Table,
    columns: tuple[str, ...],
    rows: list[tuple],
    binary: tuple[str, ...] | None = None,
) -> None:
    """Append ``rows`` (values of ``columns``) to ``table`` in the connection's transaction:
    with COPY on PostgreSQL (a row costs the server a few microseconds, no statement per row
    to plan), as one ``executemany`` on SQLite (where there is no server to talk to).

    Each value goes as the driver sends it, past SQLAlchemy's column types: fine for integers
    and bytes, and on PostgreSQL timezone-aware datetimes (SQLite's: :func:`sqlite_time`).
    With ``binary`` (PostgreSQL: the wire type of each column, e.g. ``int4``) the COPY is in
    PostgreSQL's binary format: no text made and parsed per value, a quarter of the CPU for
    integers on both sides.
    """
    if not connection.in_transaction():
        connection.begin()  # the COPY goes past SQLAlchemy: commit() must see a transaction
    if connection.dialect.name != "postgresql":
        # The driver's own executemany: through SQLAlchemy each row became a dictionary and
        # each value went through its type (L: a million follows).
        marks = ", ".join("?" * len(columns))
        names = ", ".join(columns)  # the callers' own column names, never input
        sql = f"INSERT INTO {quoted(connection, table)} ({names}) VALUES ({marks})"  # noqa: S608
        connection.exec_driver_sql(sql, rows)
        return
    cursor = connection.connection.driver_connection.cursor()
    sql = f"COPY {quoted(connection, table)} ({', '.join(columns)}) FROM STDIN"
    if binary:
        sql += " (FORMAT BINARY)"
    with cursor.copy(sql) as copy:
        if binary:
            copy.set_types(list(binary))
        for row in rows:
            copy.write_row(row)


POSTGRESQL_ONLY = POSTGRESQL_INDEXES
"""Of the indexes :func:`_set_aside` lists, what SQLite does not have (its search index is
FTS5)."""


def _set_aside(
    dialect: str = "postgresql",
) -> list[tuple[sa.Table, str, sa.schema.ExecutableDDLElement, sa.schema.ExecutableDDLElement]]:
    """What the database maintains row by row at a high cost during the load: the foreign
    keys to ``user`` and ``post`` (on PostgreSQL a trigger and an index probe per row), the
    indexes filled in random order and the full-text index (GIN), which are built far faster
    in one pass. On SQLite, which cannot drop a foreign key, the indexes only.

    Each as (table, name, how to create it, how to drop it), made from the models' metadata,
    which ``flask db check`` holds equal to the migrations.
    """
    post, search = Post.__table__, PostSearch.__table__
    like, notification = Like.__table__, Notification.__table__
    items = []
    if dialect == "postgresql":
        # Only here: an AddConstraint takes its constraint out of the metadata's CREATE TABLE
        # (create_all would then make tables without it: the tests' SQLite databases).
        for table, column in (
            (post, "user_id"),
            (followers, "follower_id"),
            (followers, "followed_id"),
            (search, "post_id"),
            (post_tag, "post_id"),
            (post_tag, "tag_id"),
            (like, "user_id"),
            (like, "post_id"),
            (notification, "user_id"),
            (notification, "actor_id"),
            (notification, "post_id"),
            (post_stats, "post_id"),
        ):
            key = next(c for c in table.foreign_key_constraints if c.column_keys == [column])
            items.append((table, key, sa.schema.AddConstraint(key), sa.schema.DropConstraint(key)))
    for table, name in (
        (post, "ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id"),
        # Filled by the replies, in no order.
        (post, "ix_post_thread_path"),
        (post, "ix_post_in_reply_to_id_hidden_at_user_id"),
        (followers, "ix_followers_followed_id_created_at"),
        (search, "ix_post_search_terms"),
        (search, "ix_post_search_pairs"),
        (search, "ix_post_search_post_id_brin"),
        (like, "ix_post_like_post_id_created_at"),
        (like, "ix_post_like_user_id_created_at"),
        (notification, "ix_notification_user_id_id"),
        (notification, "ix_notification_user_id_group_key_id"),
        (notification, "ix_notification_post_id_actor_id"),
        (notification, "ix_notification_actor_id_user_id"),
    ):
        if dialect != "postgresql" and name in POSTGRESQL_ONLY:
            continue
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


def _fts5_triggers(connection: sa.Connection) -> set[str]:
    """Which of the FTS5 index's triggers SQLite has."""
    found = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return set(found.scalars()) & set(FTS5_TRIGGER_NAMES)


def set_aside_for_load(connection: sa.Connection) -> list[str]:
    """Drop the stored counts' triggers, on SQLite the FTS5 index's triggers, and what
    :func:`_set_aside` lists for the database (committed); returns their names.

    Measured at L (10,000 users, 1,000,000 posts) on PostgreSQL: the database's own work fell
    from 35 s of CPU to 15 s, plus 4 s to rebuild them afterwards. SQLite cannot drop a
    foreign key; its indexes filled in random order go (docs/performance.md, "flask fake at
    L on SQLite").
    """
    # The triggers that keep the stored counts would update a counts row per post and follow:
    # they go on both databases, and everything is counted once at the end.
    dropped = ["user_stats triggers"] if present_triggers(connection) else []
    drop_triggers(connection)
    # The newest posts' search rows are copied once at the end (refill_recent), not per row.
    drop_recent_triggers(connection)
    if connection.dialect.name != "postgresql":
        # FTS5 takes the words in one pass at the end (FTS5_REBUILD), not a trigger per row.
        if _fts5_triggers(connection):
            dropped.append("search index triggers")
        for sql in FTS5_DROP_TRIGGERS:
            connection.exec_driver_sql(sql)
    for table, name, _create, drop in _set_aside(connection.dialect.name):
        if name in _present(connection, table):
            connection.execute(drop)
            dropped.append(name)
    if connection.dialect.name == "postgresql":
        # Autovacuum would vacuum and analyse each growing table again and again (every
        # fifth more rows); the load ends with one VACUUM (ANALYZE) instead.
        for table in LOADED_TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    connection.commit()
    return dropped


BESIDE = ("ix_post_search_terms", "ix_post_search_pairs", "ix_post_search_post_id_brin")
"""What ``flask fake`` makes each on a connection of its own (:func:`restore_beside`) from
the end of the posts on PostgreSQL: the search indexes (the words', the pairs' of words that
phrases look up, and the ids' BRIN index that says where the recent ones are), which nothing
after the load reads. They lock only their table (against writes, not each other), which
nothing else touches then; its foreign key is added once they are made (adding it would wait
for them, locking ``post`` meanwhile against the other indexes: it deadlocked). Kept through
the load, the BRIN index would be summarised by the closing VACUUM, a second read of the
table on the way to the end."""
AFTER_COUNTS = ("fk_post_stats_post_id_post",)
"""Made once the counts are (``rebuild_derived``): the recount writes a ``post_stats`` row
per liked or answered post, and with the key in place each row's insert probed and locked
its post. At XL (2.1 million rows) the likes' and replies' recounts took 26.1 and 14.3 s
that way, 6.7 and 4.6 s without the key."""
LOAD_INDEXES = (
    "ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id",
    "ix_post_thread_path",
    "ix_post_in_reply_to_id_hidden_at_user_id",
    "ix_followers_followed_id_created_at",
    "ix_post_like_post_id_created_at",
    "ix_post_like_user_id_created_at",
)
"""The set-aside B-tree indexes of posts, follows and likes, which ``flask fake`` makes on a
connection of its own (:func:`restore_beside`) while it writes the notifications, which only
read those tables: at XL some 25 s, made after the notifications' 17 s on one core before."""
KEYS_BESIDE_RECOUNT = (
    "fk_post_search_post_id_post",
    "fk_post_tag_post_id_post",
    "fk_post_tag_tag_id_tag",
    "fk_notification_user_id_user",
    "fk_notification_actor_id_user",
    "fk_notification_post_id_post",
)
"""Keys validated on a connection of their own while the counts are made again
(``rebuild_derived``): the recount locks ``user``, ``followers``, ``post`` and ``post_like``
against changes (``SHARE``), which a validation of a key *on* those tables would wait for,
while a key's validation locks the table it points to only ``ROW SHARE``. The recount does
lock some of these (it drops triggers on ``post``, then locks ``post_search`` to refill the
newest posts' search rows): the validations take their locks only when free
(:func:`validate_keys`), or they could deadlock with it."""


def restore_beside(engine: sa.Engine, names: Collection[str] = BESIDE) -> list[str]:
    """Create those of ``names`` (of :data:`BESIDE` or :data:`LOAD_INDEXES`) that are
    missing, on a connection of its own, each committed; returns their names."""
    made = []
    with engine.connect() as connection:
        connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        for table, name, create, _drop in _set_aside():
            if name in names and name not in _present(connection, table):
                connection.execute(create)
                connection.commit()
                made.append(name)
        connection.exec_driver_sql("RESET maintenance_work_mem")
    return made


def restore_after_load(
    connection: sa.Connection,
    skip: Collection[str] = (),
    autovacuum: bool = True,
    validated_later: Collection[str] = (),
) -> list[str]:
    """Create whatever :func:`set_aside_for_load` dropped and is still missing (also after an
    interrupted run), exactly as the metadata defines it, but for what ``skip`` names (made
    meanwhile by :func:`restore_beside`); returns their names.

    On PostgreSQL the foreign keys are added ``NOT VALID`` (no scan, a moment's lock), then
    validated each on a connection of its own at once (:func:`validate_keys`): those added
    here and any a stopped run left not valid, but for those ``validated_later`` names. One
    after the other on one connection, each scanning its table, they took some 45 s at XL
    with the other core idle. With ``autovacuum`` the loaded tables get theirs back
    (:func:`enable_autovacuum`).

    The stored counts' triggers come back with the recount that follows (``rebuild_derived``
    in :mod:`app.commands.fake`).
    """
    if connection.dialect.name == "postgresql":
        return _restore_set_aside(connection, skip, autovacuum, validated_later)
    made = []
    for table, name, create, _drop in _set_aside(connection.dialect.name):
        if name not in _present(connection, table):
            connection.execute(create)
            made.append(name)
    if _fts5_triggers(connection) != set(FTS5_TRIGGER_NAMES):
        connection.exec_driver_sql(FTS5_REBUILD)
        for sql in FTS5_DROP_TRIGGERS + FTS5_TRIGGERS:
            connection.exec_driver_sql(sql)
        made.append("search index")
    connection.commit()
    return made


def _restore_set_aside(
    connection: sa.Connection,
    skip: Collection[str],
    autovacuum: bool,
    validated_later: Collection[str],
) -> list[str]:
    connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
    made = []
    for table, name, create, _drop in _set_aside():
        if name not in skip and name not in _present(connection, table):
            if isinstance(create, sa.schema.AddConstraint):
                added = create.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"{added} NOT VALID")
            else:
                connection.execute(create)
            made.append(name)
    if autovacuum:
        enable_autovacuum(connection)
    connection.commit()
    connection.exec_driver_sql("RESET maintenance_work_mem")
    later = set(skip) | set(validated_later)
    validate_keys(connection.engine, not_valid_keys(connection, without=later))
    connection.commit()
    return made


def enable_autovacuum(connection: sa.Connection) -> None:
    """Give the loaded tables their autovacuum back (PostgreSQL; committed by the caller).

    ``flask fake`` does so after its closing ``VACUUM (ANALYZE)``: given back earlier,
    autovacuum started on the freshly loaded tables beside the recounts, to be cancelled by
    the next statement that locked them (1 s each, ``deadlock_timeout``, at XL three times).
    """
    for table in LOADED_TABLES:
        connection.exec_driver_sql(f"ALTER TABLE {table} RESET (autovacuum_enabled)")


def not_valid_keys(
    connection: sa.Connection, only: Collection[str] = (), without: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The set-aside foreign keys present but not validated yet, as (table, key): added ``NOT
    VALID`` and not validated since (also by a run that stopped in between); ``only`` those
    named, if given, and none named in ``without``."""
    names = [
        name
        for _table, name, _create, _drop in _set_aside()
        if name.startswith("fk_") and (not only or name in only) and name not in without
    ]
    found = connection.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND NOT convalidated AND conname IN :names ORDER BY conname"
        ).bindparams(sa.bindparam("names", expanding=True)),
        {"names": names},
    )
    return [(table, name) for table, name in found]


def validate_keys(
    engine: sa.Engine, keys: list[tuple[str, str]], at_once: int | None = None
) -> None:
    """Validate each of ``keys`` (table, foreign key) on a connection of its own, ``at_once``
    at a time (all, by default; two on one table take turns); each is committed.

    Each validation first takes its two locks without waiting (:func:`_lock_for_validation`),
    trying again a moment later while another transaction holds either: it then never waits
    for a lock, so it cannot deadlock with ``flask fake``'s main connection, which changes
    triggers and locks tables meanwhile. (Waiting, it did: holding its table, it waited for
    the referenced ``post`` that the recount had locked, while the recount waited for its
    table.)
    """

    def validate(key: tuple[str, str]) -> None:
        table, name = key
        with engine.connect() as own:
            referenced = own.scalar(
                sa.text(
                    "SELECT confrelid::regclass::text FROM pg_constraint "
                    "WHERE conname = :name AND conrelid = CAST(:table AS regclass)"
                ),
                {"name": name, "table": table},
            )
            while not _lock_for_validation(own, table, referenced):
                time.sleep(VALIDATION_RETRY_SECONDS)
            own.exec_driver_sql(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
            own.commit()

    with ThreadPoolExecutor(at_once or max(1, len(keys))) as pool:
        for done in [pool.submit(validate, key) for key in keys]:
            done.result()


VALIDATION_RETRY_SECONDS = 0.05
"""How long a key's validation waits before trying its locks again."""


def _lock_for_validation(connection: sa.Connection, table: str, referenced: str) -> bool:
    """Take the locks ``VALIDATE CONSTRAINT`` takes (its table's ``SHARE UPDATE EXCLUSIVE``,
    the referenced table's ``ROW SHARE``) in the connection's transaction if both are free
    now; False, the transaction rolled back, if not."""
    try:
        connection.exec_driver_sql(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT")
        connection.exec_driver_sql(f"LOCK TABLE {referenced} IN ROW SHARE MODE NOWAIT")
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        connection.rollback()
        return False
    return True


LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's error code for a lock ``NOWAIT`` could not take."""


def speed_up_bulk_load(connection: sa.Connection) -> None:
    """Settings for this connection only, for the load."""
    if connection.dialect.name == "sqlite":
        # A bigger page cache keeps index inserts in memory; the sorts of the indexes made
        # after the load spill to memory, not to temporary files.
        connection.exec_driver_sql("PRAGMA cache_size = -262144")
        connection.exec_driver_sql("PRAGMA temp_store = MEMORY")
    else:
        # Hash joins and sorts of a chunk stay in memory; a crash may lose the last chunks
        # committed (never corrupt them), which --resume then makes again.
        connection.exec_driver_sql("SET work_mem = '256MB'")
        connection.exec_driver_sql("SET synchronous_commit = off")


def finish_bulk_load(connection: sa.Connection) -> None:
    """Undo :func:`speed_up_bulk_load` before the connection goes back to the pool."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size = -65536")
        connection.exec_driver_sql("PRAGMA temp_store = DEFAULT")
    else:
        connection.exec_driver_sql("RESET work_mem")
        connection.exec_driver_sql("RESET synchronous_commit")
