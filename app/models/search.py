"""The full-text index of posts and their hashtags, the same on SQLite and PostgreSQL.

Both databases have a full-text index, but they cut text into words differently (PostgreSQL's
parser keeps "example.com" and "foo-bar" whole, SQLite's splits them; each folds accents and
case its own way). So the words are found here, in Python, once for both: :func:`search_tokens`
folds a text (Unicode NFKC, case folding, accents dropped) and cuts it into runs of letters and
digits. ``post_search`` keeps each post's words, stored so that neither database cuts them
again: on PostgreSQL as a ``tsvector`` written out lexeme by lexeme (with a GIN index), on
SQLite as the words joined by spaces, indexed by the FTS5 table ``post_search_fts`` with the
``ascii`` tokenizer (which splits only at ASCII punctuation and spaces, so it finds exactly these
words again). A query is folded and cut by the same function, so both find the same posts.

Every post is in the index, hidden or not; who may see a post is decided in the search
statement, so hiding, unhiding and suspending need not touch the index. The rows follow the
posts in the same transaction: :func:`_index_changed_posts` writes them at every flush that adds
a post or changes its text, and deleting a post (or its author's account) deletes them through
their foreign keys (on SQLite, triggers take the words out of FTS5 as the rows go).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import pairwise

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from app.extensions import db
from app.models.post import Post

TAG_MAX_LENGTH = 64
# "#word" where a hashtag may start: not inside a word, an HTML entity or a web address's path.
# The tag is letters, digits and underscores with at least one letter.
HASHTAG = re.compile(r"(?<![\w#&/])#(\w*[^\W\d_]\w*)")
_WEB_ADDRESS = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
# Where the folded text is cut: anything but a letter, a digit or a private-use character.
_TOKEN_CATEGORIES = ("L", "N", "Co")
FTS_TABLE = "post_search_fts"


def fold(text: str) -> str:
    """``text`` as the index sees it: compatibility forms unified (NFKC), case folded and
    accents dropped ("Café", "CAFE" and a full-width "cafe" are the same word)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare)


def _cut(folded: str) -> Iterator[str]:
    word: list[str] = []
    for char in folded:
        if unicodedata.category(char).startswith(_TOKEN_CATEGORIES):
            word.append(char)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def search_tokens(text: str) -> list[str]:
    """The words of ``text`` in order, folded: what the index holds and what a query matches."""
    return list(_cut(fold(text)))


def normalize_tag(name: str) -> str:
    """The stored form of a hashtag's name: NFKC, case folded ("#Café" and "#CAFÉ" are one tag;
    accents stay, as people write tags to be read)."""
    return unicodedata.normalize("NFKC", name).casefold()


def is_tag_name(name: str) -> bool:
    """Whether ``name`` (normalised) can be a hashtag."""
    return 0 < len(name) <= TAG_MAX_LENGTH and HASHTAG.fullmatch(f"#{name}") is not None


def hashtags(text: str) -> list[str]:
    """The normalised hashtags of a post's ``text``, each once, in order of appearance (not
    those inside a web address: "https://example.com/#top" has none)."""
    names = (normalize_tag(m.group(1)) for m in HASHTAG.finditer(_WEB_ADDRESS.sub(" ", text)))
    return list(dict.fromkeys(name for name in names if is_tag_name(name)))


class SearchTerms(sa.types.TypeDecorator):
    """A post's words (a list of tokens in order), as each database's full-text index takes
    them: a ``tsvector`` written lexeme by lexeme with positions on PostgreSQL (so its parser
    never runs), the words joined by spaces on SQLite (read by FTS5's ``ascii`` tokenizer)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TSVECTOR())
        return dialect.type_descriptor(sa.Text())

    def bind_expression(self, bindvalue):
        """On PostgreSQL the literal is cast: ``'word':1 'other':2`` read as a tsvector."""
        return _AsTsvector(bindvalue)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return tsvector_literal(value)
        return " ".join(value)


class _AsTsvector(sa.sql.expression.ColumnElement):
    """A bound value, cast to ``tsvector`` on PostgreSQL (and left as it is elsewhere)."""

    inherit_cache = True
    _traverse_internals = [("value", InternalTraversal.dp_clauseelement)]

    def __init__(self, value: sa.BindParameter) -> None:
        self.value = value
        self.type = value.type


@compiles(_AsTsvector)
def _as_is(element: _AsTsvector, compiler, **kw) -> str:
    return compiler.process(element.value, **kw)


@compiles(_AsTsvector, "postgresql")
def _cast_to_tsvector(element: _AsTsvector, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.value, **kw)} AS tsvector)"


MAX_POSITION = 16383
"""The last position a tsvector records; words after it are not indexed."""


def pair_hash(first: str, second: str) -> int:
    """The number standing for the pair of words ``first`` ``second`` next to each other in
    ``post_search.pairs`` (PostgreSQL): the first 32 bits of the MD5 of ``"first second"``, as
    a signed integer (the migration that added the pairs works them out in SQL, with
    PostgreSQL's ``md5``, to the same numbers).

    Two pairs may share a number (a chance of one in 4 billion for any two): a phrase is also
    checked against the words in order (:func:`app.search.query.phrase_match`), so it stays
    exact.
    """
    digest = hashlib.md5(f"{first} {second}".encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def pair_hashes(tokens: list[str]) -> list[int]:
    """:func:`pair_hash` of each pair of neighbouring words of ``tokens`` (as far as the
    tsvector keeps them), each once, in ascending order."""
    return sorted({pair_hash(a, b) for a, b in pairwise(tokens[:MAX_POSITION])})


def tsvector_literal(tokens: list[str]) -> str:
    """``tokens`` as PostgreSQL's tsvector input: each lexeme quoted, with its positions."""
    positions: dict[str, list[int]] = {}
    for n, token in enumerate(tokens[:MAX_POSITION], start=1):
        positions.setdefault(token, []).append(n)
    return " ".join(
        f"{_quote_lexeme(token)}:{','.join(map(str, places))}"
        for token, places in positions.items()
    )


class SearchPairs(sa.types.TypeDecorator):
    """A post's pairs of neighbouring words (given as its list of tokens, like
    :class:`SearchTerms`), stored on PostgreSQL as the array of their :func:`pair_hashes`,
    with a GIN index of its own: a phrase is looked up by its pairs (app.search.query).

    SQLite's FTS5 index keeps positions and finds phrases itself: the column stays empty
    there (NULL).
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.Integer()))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "postgresql":
            return None
        return pair_hashes(value)

    def process_result_value(self, value, dialect):
        return value


def _quote_lexeme(token: str) -> str:
    # Tokens are letters and digits only, but quote and escape as the input syntax asks anyway.
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


GIN_STORAGE = {"gin_pending_list_limit": 64}
"""The GIN indexes' storage parameters (PostgreSQL): a pending list of 64 kB (8 pages), not the
server's 4 MB. GIN adds a new row's entries to that list, which every search of the index
reads whole, and merges the list into the index once it is full (in the INSERT that fills it)
or at a vacuum or autovacuum's analyze. At L autovacuum comes to ``post_search`` only every
100,000-200,000 posts, so its two lists grew to 4 MB (``post_search_recent``'s, analysed
every 5,000 posts or so as its rows come and go, to about 120 pages): a phrase no post holds
read 404-429 buffers in 1.8-2.6 ms instead of 9 in 0.21, and every 20,000 posts or so a post
paid a merge of 0.2-0.5 s. At 64 kB a post's median stays the same (1.71 ms against 1.72),
one post in about 200 pays a merge of about 25 ms, and a search reads at most 8 pages of
list; ``fastupdate = off`` cost every post 0.37 ms more (2.08 ms). Migration b7e1d4a9c2f5;
docs/performance.md, "The search index's pending lists"."""


def _gin_index(name: str, column: str) -> sa.Index:
    """A GIN index of ``column`` with :data:`GIN_STORAGE`, made on PostgreSQL only (SQLite's
    search index is the FTS5 table)."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_with=GIN_STORAGE).ddl_if(
        dialect="postgresql"
    )


class PostSearch(db.Model):
    """A post's words in the full-text index (one row per post)."""

    __tablename__ = "post_search"

    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    terms: so.Mapped[list[str]] = so.mapped_column(SearchTerms())
    # Null on SQLite (FTS5 finds phrases by positions), and on PostgreSQL in rows written
    # before migration f3a7c2e9d4b6 ran (it fills them).
    pairs: so.Mapped[list | None] = so.mapped_column(SearchPairs())

    __table_args__ = (
        # PostgreSQL's full-text index; SQLite's is the FTS5 table made by the DDL below.
        _gin_index("ix_post_search_terms", "terms"),
        # A phrase's pairs of neighbouring words: an index of its own, not lexemes in
        # ``terms``, which made that index's build 6 to 9 times as long at L. This one costs
        # about twice the words' (XL: 60 s of CPU against 26) and flask fake builds it
        # beside the words' (docs/performance.md, "Phrases by their pairs onto main").
        _gin_index("ix_post_search_pairs", "pairs"),
        # Which blocks hold which ids: a phrase looks for its matches among the recent ids
        # first (app.search.query._recent_first), a bitmap of their blocks ANDed with the
        # pairs'. A summary per 128 blocks: 72 kB at XL, built in seconds, nothing per post.
        # Of the ids as bigint, which only that statement asks for: on the plain ids the
        # planner also ANDed it with the GIN indexes for other statements' bounds (a later
        # page of two words, a phrase from someone), lossy and slower (L: 20-23 ms).
        sa.Index(
            "ix_post_search_post_id_brin", sa.text("(post_id::bigint)"), postgresql_using="brin"
        ).ddl_if(dialect="postgresql"),
        # No parallel scans: a search reads a page of matches, and at S PostgreSQL chose a
        # parallel scan of the whole table (migration c8d4f2a7e9b1).
        {"postgresql_with": {"parallel_workers": 0}},
    )


RECENT_POSTS = 100_000
"""How many of the newest posts' words ``post_search_recent`` keeps (by id: the posts with an
id within this many of the newest, so fewer where posts were deleted)."""
RECENT_TRIM_EVERY = 1_000
"""``post_search_recent`` is trimmed when a post whose id is a multiple of this is indexed."""


WORD_COUNT = {
    # A tsvector's positions: its lexemes that have positions, plus one for each comma of its
    # text ("'owl':1,4 'heron':2" holds three). The same as app.search.query's _positions.
    "postgresql": "length(ts_filter(terms, '{a,b,c,d}')) "
    "+ array_length(string_to_array(terms::text, ','), 1) - 1",
    # The words joined by spaces (the table stays empty on SQLite; the same count for it).
    "sqlite": "CASE WHEN terms = '' THEN NULL "
    "ELSE length(terms) - length(replace(terms, ' ', '')) + 1 END",
}
"""How many words a row of ``post_search_recent`` holds, in SQL (NULL for none), by dialect:
the column ``word_count`` works it out when a row is written."""


class _WordCount(sa.sql.expression.ColumnElement):
    """The expression of ``post_search_recent.word_count``, in each database's SQL."""

    type = sa.Integer()
    inherit_cache = True


@compiles(_WordCount)
def _word_count(element: _WordCount, compiler, **kw) -> str:
    return WORD_COUNT[compiler.dialect.name]


class PostSearchRecent(db.Model):
    """The words of the newest posts again (PostgreSQL), with a GIN index of their own: where
    a search by relevance finds its window of the newest matches (app.search.query).

    A word's matches among the newest posts come from this small index's bitmap and a sort,
    at a cost bounded by this table's size (L, 'adult': 1.0 ms of the server's CPU against 4.1
    for walking ``post_search``'s key back through 28,649 rows; docs/performance.md, "Most
    relevant from the newest posts' own index"). The rows always hold *every* post of
    ``post_search`` from the lowest id here up: a search falls back to the posts below that
    id, so a gap would lose matches. Triggers on ``post_search`` keep them (every write path,
    bulk or not, comes through that table): a new row is copied here unless its id is below
    the lowest here (an old post's edit, whose row is written again), the table is trimmed
    to :data:`RECENT_POSTS` when a post's id is a multiple of :data:`RECENT_TRIM_EVERY`, and a
    deleted post's row goes through the foreign key. A bulk load drops the triggers and
    fills the table afterwards in one statement (:func:`refill_recent`).

    SQLite has the table (the models are the same on both) and leaves it empty: its FTS5
    index finds a relevance window differently (docs/performance.md).
    """

    __tablename__ = "post_search_recent"

    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("post_search.post_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    terms: so.Mapped[list[str]] = so.mapped_column(SearchTerms())
    # Stored, not counted per search: scoring 250 posts counted every word of each from its
    # tsvector's text, 0.6 of the 5.4 ms of the page's statement at L (migration
    # c4e9a2d7f1b3). Generated, so every writer (the triggers, a refill) gets it.
    word_count: so.Mapped[int | None] = so.mapped_column(sa.Computed(_WordCount(), persisted=True))

    __table_args__ = (
        _gin_index("ix_post_search_recent_terms", "terms"),
        {"postgresql_with": {"parallel_workers": 0}},
    )


class Tag(db.Model):
    """A hashtag, by its normalised name (see :func:`normalize_tag`)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Compared by code point on both databases ("C" on PostgreSQL whatever the database's
    # locale), so the names starting with a text are one range of its index.
    name: so.Mapped[str] = so.mapped_column(
        sa.String(TAG_MAX_LENGTH).with_variant(
            sa.String(TAG_MAX_LENGTH, collation="C"), "postgresql"
        ),
        unique=True,
    )


post_tag = sa.Table(
    "post_tag",
    db.metadata,
    sa.Column("tag_id", sa.Integer, sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "post_id", sa.Integer, sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    ),
    # The primary key (tag_id, post_id) is a tag page: one range, newest first (ids grow with
    # time). This one finds a post's tags (edits, deletes) and the tags of the last day's posts
    # (trending), from the first post of the day on.
    sa.Index("ix_post_tag_post_id_tag_id", "post_id", "tag_id"),
)


# SQLite: the FTS5 index of post_search.terms, kept by triggers on post_search (which app code
# and foreign keys keep). "ascii" finds the stored words exactly; no column values are copied.
FTS5_CREATE = [
    "CREATE VIRTUAL TABLE post_search_fts USING fts5(terms, content='post_search', "
    "content_rowid='post_id', tokenize='ascii', detail=full)",
]
_FTS5_DELETE_OLD = (
    "INSERT INTO post_search_fts(post_search_fts, rowid, terms) "
    "VALUES ('delete', old.post_id, old.terms);"
)
_FTS5_INSERT_NEW = "INSERT INTO post_search_fts(rowid, terms) VALUES (new.post_id, new.terms);"
FTS5_TRIGGERS = [
    f"CREATE TRIGGER post_search_ai AFTER INSERT ON post_search BEGIN {_FTS5_INSERT_NEW} END",
    f"CREATE TRIGGER post_search_ad AFTER DELETE ON post_search BEGIN {_FTS5_DELETE_OLD} END",
    "CREATE TRIGGER post_search_au AFTER UPDATE ON post_search BEGIN "
    f"{_FTS5_DELETE_OLD} {_FTS5_INSERT_NEW} END",
]
FTS5_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS post_search_ai",
    "DROP TRIGGER IF EXISTS post_search_ad",
    "DROP TRIGGER IF EXISTS post_search_au",
]
FTS5_REBUILD = "INSERT INTO post_search_fts(post_search_fts) VALUES ('rebuild')"
FTS5_DROP = [*FTS5_DROP_TRIGGERS, f"DROP TABLE IF EXISTS {FTS_TABLE}"]

for _sql in [*FTS5_CREATE, *FTS5_TRIGGERS]:
    sa.event.listen(PostSearch.__table__, "after_create", sa.DDL(_sql).execute_if(dialect="sqlite"))
for _sql in FTS5_DROP:
    sa.event.listen(PostSearch.__table__, "before_drop", sa.DDL(_sql).execute_if(dialect="sqlite"))


def has_fts5(connection: sa.Connection) -> bool:
    """Whether this SQLite was built with FTS5 (Python's usually is; some system builds not)."""
    return bool(
        connection.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar()
    )


NO_FTS5_MESSAGE = (
    "This SQLite has no FTS5 full-text search, which Chirp's post search needs. Use a Python "
    "whose sqlite3 module has it (python.org and Debian builds do), or PostgreSQL."
)


def require_fts5(engine: sa.Engine) -> None:
    """Refuse to start on a SQLite without FTS5: better now, with a clear message, than a 500
    on the first search or post."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        if not has_fts5(connection):
            raise RuntimeError(NO_FTS5_MESSAGE)


POSTGRESQL_INDEXES = (
    "ix_post_search_terms",
    "ix_post_search_pairs",
    "ix_post_search_post_id_brin",
    "ix_post_search_recent_terms",
)
"""The GIN and BRIN indexes of ``post_search`` and the GIN index of ``post_search_recent``,
which SQLite does not have (its index is FTS5)."""


def skipped_by_migrations(name: str | None, type_: str, dialect: str) -> bool:
    """Objects Alembic's model comparison must not see: FTS5's table and its shadow tables
    (made by hand, not in the models) and, on SQLite, the PostgreSQL-only GIN indexes."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return True
    return type_ == "index" and name in POSTGRESQL_INDEXES and dialect != "postgresql"


# The newest posts' words (post_search_recent, PostgreSQL): kept by triggers on post_search.

RECENT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION post_search_recent_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE post_search_recent SET terms = NEW.terms WHERE post_id = NEW.post_id;
        RETURN NULL;
    END IF;
    -- Below the lowest id kept (an old post's edit writes its row again) it would leave a
    -- gap: the posts between it and the others are not here. Searches read those from
    -- post_search.
    IF NEW.post_id >= coalesce((SELECT min(post_id) FROM post_search_recent), 0) THEN
        INSERT INTO post_search_recent (post_id, terms) VALUES (NEW.post_id, NEW.terms);
    END IF;
    IF mod(NEW.post_id, {RECENT_TRIM_EVERY}) = 0 THEN
        DELETE FROM post_search_recent WHERE post_id <= NEW.post_id - {RECENT_POSTS};
    END IF;
    RETURN NULL;
END
$$"""  # noqa: S608
RECENT_TRIGGERS = {
    "post_search_recent_ai": "AFTER INSERT ON post_search FOR EACH ROW "
    "EXECUTE FUNCTION post_search_recent_keep()",
    "post_search_recent_au": "AFTER UPDATE OF terms ON post_search FOR EACH ROW "
    "EXECUTE FUNCTION post_search_recent_keep()",
}
FILL_RECENT = f"""
INSERT INTO post_search_recent (post_id, terms)
SELECT post_id, terms FROM post_search
WHERE post_id > (SELECT max(post_id) FROM post_search) - {RECENT_POSTS}"""  # noqa: S608
"""The newest posts' rows, into an empty ``post_search_recent``."""


def create_recent_triggers(connection: sa.Connection) -> None:
    """Make (again) the triggers that keep ``post_search_recent`` (PostgreSQL; nothing on
    SQLite, whose table stays empty)."""
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(RECENT_FUNCTION)
    for name, sql in RECENT_TRIGGERS.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON post_search")
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {sql}")


def drop_recent_triggers(connection: sa.Connection) -> None:
    """Remove the triggers that keep ``post_search_recent``: a bulk load does, and
    :func:`refill_recent` makes them again (PostgreSQL)."""
    if connection.dialect.name != "postgresql":
        return
    for name in RECENT_TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON post_search")


def refill_recent(connection: sa.Connection) -> None:
    """Fill ``post_search_recent`` again from ``post_search`` in one statement and make its
    triggers, in the connection's transaction (PostgreSQL; after a bulk load).

    ``post_search`` is locked against writes meanwhile, so that no post indexed during the
    fill is missed. At XL (10 million posts) the fill took 2.0 s on the shared server.
    """
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql("LOCK TABLE post_search IN SHARE MODE")
    connection.exec_driver_sql("TRUNCATE post_search_recent")
    connection.exec_driver_sql(FILL_RECENT)
    create_recent_triggers(connection)


sa.event.listen(
    PostSearchRecent.__table__,
    "after_create",
    sa.DDL(RECENT_FUNCTION).execute_if(dialect="postgresql"),
)
for _name, _sql in RECENT_TRIGGERS.items():
    sa.event.listen(
        PostSearchRecent.__table__,
        "after_create",
        sa.DDL(f"CREATE TRIGGER {_name} {_sql}").execute_if(dialect="postgresql"),
    )
sa.event.listen(
    PostSearchRecent.__table__,
    "before_drop",
    sa.DDL(
        "DROP TRIGGER IF EXISTS post_search_recent_ai ON post_search; "
        "DROP TRIGGER IF EXISTS post_search_recent_au ON post_search; "
        "DROP FUNCTION IF EXISTS post_search_recent_keep()"
    ).execute_if(dialect="postgresql"),
)


# Keeping the index


def index_rows(posts: Iterable[tuple[int, str]]) -> tuple[list[dict], list[tuple[int, str]]]:
    """The ``post_search`` rows of ``(id, body)`` pairs, and their (post id, tag name) pairs."""
    documents, tagged = [], []
    for post_id, body in posts:
        tokens = search_tokens(body)
        documents.append({"post_id": post_id, "terms": tokens, "pairs": tokens})
        tagged.extend((post_id, name) for name in hashtags(body))
    return documents, tagged


def write_index(connection: sa.Connection, posts: list[tuple[int, str]], new: bool = False) -> None:
    """(Re)write the words and tags of ``posts`` (``(id, body)`` pairs) on ``connection``;
    ``new`` posts have none yet, so there is nothing to delete first."""
    if not posts:
        return
    if not new:
        ids = [post_id for post_id, _ in posts]
        connection.execute(sa.delete(PostSearch).where(PostSearch.post_id.in_(ids)))
        connection.execute(sa.delete(post_tag).where(post_tag.c.post_id.in_(ids)))
    documents, tagged = index_rows(posts)
    connection.execute(sa.insert(PostSearch), documents)
    if len(posts) == 1:
        _link_post_tags(connection, posts[0][0], [name for _, name in tagged])
    else:
        _link_tags(connection, tagged)


def _link_post_tags(connection: sa.Connection, post_id: int, names: list[str]) -> None:
    """Link one post to its tags (``names``): one statement when they all exist, as most do.

    The tags are linked straight from the ``tag`` table; if some were missing, they are added
    (``ON CONFLICT DO NOTHING``: another transaction may add the same one meanwhile) and the
    same statement runs again, which leaves out the links it made the first time.
    """
    if not names:
        return
    link = _link_statement(connection.dialect.name)
    if connection.execute(link, {"post_id": post_id, "names": names}).rowcount < len(names):
        link_new_tags(connection, post_id, names)


def link_new_tags(connection: sa.Connection, post_id: int, names: list[str]) -> None:
    """Add those of ``names`` that are not tags yet and link ``post_id`` to them: for a post
    whose link statement found fewer tags than it has."""
    connection.execute(_insert_new(connection, Tag.__table__), [{"name": name} for name in names])
    link = _link_statement(connection.dialect.name)
    connection.execute(link, {"post_id": post_id, "names": names})


@cache
def _link_statement(dialect: str) -> sa.Insert:
    """Link ``post_id`` to the tags named ``names`` that exist, leaving out links it has (built
    once per database: every post with a tag runs it)."""
    tag = Tag.__table__
    found = sa.select(tag.c.id, sa.bindparam("post_id", type_=sa.Integer)).where(
        tag.c.name.in_(sa.bindparam("names", expanding=True))
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    link = insert(post_tag).from_select(["tag_id", "post_id"], found).on_conflict_do_nothing()
    # SQLAlchemy keeps the row count of an INSERT only when asked (psycopg's is gone after).
    return link.execution_options(preserve_rowcount=True)


def _insert_new(connection: sa.Connection, table: sa.Table):
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table``, spelled for the database."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


def _link_tags(connection: sa.Connection, tagged: list[tuple[int, str]]) -> None:
    """Add the tags of ``tagged`` (post id, name) that are new, then link the posts to them:
    several posts at once (a rebuild, a flush of several posts); one is :func:`_link_post_tags`.

    The tags are looked up first and only the missing ones inserted (``ON CONFLICT DO
    NOTHING``: another transaction may add the same one meanwhile) and read back: most posts
    use tags that exist, which then cost one statement, not two.
    """
    if not tagged:
        return
    names = sorted({name for _, name in tagged})
    tag_ids: dict[str, int] = {}
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        found = connection.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(chunk)))
        tag_ids.update((name, tag_id) for name, tag_id in found)
        if missing := [name for name in chunk if name not in tag_ids]:
            insert = _insert_new(connection, Tag.__table__)
            connection.execute(insert, [{"name": n} for n in missing])
            found = connection.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(missing)))
            tag_ids.update((name, tag_id) for name, tag_id in found)
    connection.execute(
        sa.insert(post_tag), [{"post_id": p, "tag_id": tag_ids[name]} for p, name in tagged]
    )


@sa.event.listens_for(so.Session, "after_flush")
def _index_changed_posts(session: so.Session, _context) -> None:
    """Index the posts this flush added or whose text it changed, in the same transaction."""
    new = [(post.id, post.body) for post in session.new if isinstance(post, Post)]
    edited = [
        (post.id, post.body)
        for post in session.dirty
        if isinstance(post, Post) and sa.inspect(post).attrs.body.history.has_changes()
    ]
    write_index(session.connection(), new, new=True)
    write_index(session.connection(), edited)


def rebuild_index(connection: sa.Connection, batch: int = 20_000) -> int:
    """Build the whole index again from the posts; returns how many posts were indexed.

    On SQLite the FTS5 triggers are dropped meanwhile and FTS5 rebuilds from ``post_search`` in
    one pass at the end, which is several times faster than a trigger per row.
    """
    sqlite = connection.dialect.name == "sqlite"
    # The migration that made the index (d7e3b5a91c42) rebuilds it before ``pairs`` exists.
    columns = {column["name"] for column in sa.inspect(connection).get_columns("post_search")}
    if sqlite:
        for sql in FTS5_DROP_TRIGGERS:
            connection.exec_driver_sql(sql)
    connection.execute(sa.delete(post_tag))
    connection.execute(sa.delete(PostSearch))
    connection.execute(sa.delete(Tag))
    count, last = 0, 0
    while True:
        posts = connection.execute(
            sa.select(Post.id, Post.body).where(Post.id > last).order_by(Post.id).limit(batch)
        ).all()
        if not posts:
            break
        documents, tagged = index_rows(posts)
        if "pairs" not in columns:
            documents = [{key: row[key] for key in ("post_id", "terms")} for row in documents]
        connection.execute(sa.insert(PostSearch), documents)
        _link_tags(connection, tagged)
        count, last = count + len(posts), posts[-1][0]
    if sqlite:
        connection.exec_driver_sql(FTS5_REBUILD)
        for sql in FTS5_TRIGGERS:
            connection.exec_driver_sql(sql)
    # post_search_recent's triggers stay (emptied by the delete, it is filled again row by
    # row): dropping them is DDL, which waits for every open transaction that read
    # post_search and holds up every search behind it (a test hung on it).
    return count
