"""What people type in the post search box, read into a :class:`SearchQuery`, and the pages of
posts it finds on either database.

The little language: words (every one must be there, in any case and with or without accents),
``"an exact phrase"``, ``-word`` or ``-"a phrase"`` (must not be there), ``from:name`` (by that
person; several: by any of them) and ``#tag`` (has that hashtag). Any text reads as a query:
characters the databases' own query syntaxes give a meaning to are only ever part of words, an
unclosed quote runs to the end, control characters are spaces. Text with nothing to look for
(only punctuation, only ``-word``) reads as an empty query, which the page explains.

Results come newest first, or by relevance (:func:`relevance`): the newest matches, up to a
set number, ranked by a score both databases compute from the words the index holds, so the
order, like the results, is the same on both.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache, reduce
from itertools import pairwise
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import TSQUERY

from app.extensions import db
from app.listings.bundles import TupleBundle
from app.listings.keyset import PAGE_LIMIT, BadCursor, Keyset, PageQuery, PreparedListing
from app.listings.posts import POST_CARD, PostCard, card_select
from app.models import MAX_ID, Post, User, post_visible_to
from app.models.search import (
    FTS_TABLE,
    HASHTAG,
    RECENT_POSTS,
    PostSearch,
    PostSearchRecent,
    Tag,
    normalize_tag,
    pair_hash,
    post_tag,
    search_tokens,
)
from app.web.memo import Memo

QUERY_MAX_LENGTH = 1000
MAX_TERMS = 16
"""More words, phrases, names and tags than this are refused with a message: each is a join
or a condition, and nobody needs so many to find a post."""

# A quoted phrase (the closing quote may be missing), or a run of anything but spaces; either
# may start with "-".
_PIECE = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_FROM = re.compile(r"from:@?([A-Za-z0-9_]{1,32})", re.IGNORECASE)
_SPACE_CATEGORIES = ("C", "Z")


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: each phrase is a tuple of folded words that must appear in that order."""

    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True if nothing in it says which posts to find (``-word`` alone does not)."""
        return not (self.phrases or self.authors or self.tags)

    @property
    def size(self) -> int:
        """How many conditions it makes."""
        return len(self.phrases) + len(self.excluded) + len(self.authors) + len(self.tags)

    @property
    def words(self) -> frozenset[str]:
        """The folded words to highlight in what it finds."""
        return frozenset(word for phrase in self.phrases for word in phrase)


def parse_query(text: str) -> SearchQuery:
    """Read ``text`` (any string) as a :class:`SearchQuery`."""
    clean = "".join(
        " " if unicodedata.category(c).startswith(_SPACE_CATEGORIES) else c
        for c in text[:QUERY_MAX_LENGTH]
    )
    phrases, excluded, authors, tags = [], [], [], []
    for match in _PIECE.finditer(clean):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and not negated:
            if author := _FROM.fullmatch(bare):
                authors.append(author.group(1).lower())
                continue
            if (tag := HASHTAG.fullmatch(bare)) and len(normalize_tag(tag.group(1))) <= 64:
                tags.append(normalize_tag(tag.group(1)))
                continue
        words = tuple(search_tokens(quoted if quoted is not None else bare))
        if words:
            (excluded if negated else phrases).append(words)
    return SearchQuery(
        tuple(dict.fromkeys(phrases)),
        tuple(dict.fromkeys(excluded)),
        tuple(dict.fromkeys(authors)),
        tuple(dict.fromkeys(tags)),
    )


# The databases' query syntaxes. Words are letters and digits only (see search_tokens), so a
# word never needs escaping in either; each phrase is still quoted as the syntax asks.


def fts5_match(phrases: tuple[tuple[str, ...], ...]) -> str:
    """The FTS5 query for posts with every phrase: ``"a b" AND "c"``."""
    return " AND ".join('"' + " ".join(phrase) + '"' for phrase in phrases)


def tsquery(phrases: tuple[tuple[str, ...], ...]) -> str:
    """The PostgreSQL tsquery (its input syntax, not parsed again) for posts with every phrase:
    ``('a' <-> 'b') & ('c')``."""
    return " & ".join(
        "(" + " <-> ".join("'" + word.replace("'", "''") + "'" for word in phrase) + ")"
        for phrase in phrases
    )


def phrase_pairs(phrases: tuple[tuple[str, ...], ...]) -> list[int]:
    """The :func:`~app.models.search.pair_hash` of each pair of neighbouring words in
    ``phrases``, each once, in ascending order (none for single words)."""
    return sorted({pair_hash(a, b) for phrase in phrases for a, b in pairwise(phrase)})


_FTS = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer), sa.column(FTS_TABLE))


def _matching(dialect: str, phrases: tuple[tuple[str, ...], ...], post_id) -> sa.ColumnElement:
    """A condition: post ``post_id`` has every phrase (for ``-word``: a probe by id)."""
    # Aliases: the statement may read the same index for its own words.
    if dialect == "sqlite":
        fts = _FTS.alias("excluded")
        return (
            sa.exists()
            .where(fts.c.rowid == post_id, fts.c[FTS_TABLE].op("MATCH")(fts5_match(phrases)))
            .correlate(Post)
        )
    documents = PostSearch.__table__.alias("excluded")
    return (
        sa.exists()
        .where(documents.c.post_id == post_id, _ts_match(phrases, documents.c.terms))
        .correlate(Post)
    )


def _ts_match(phrases: tuple[tuple[str, ...], ...], terms=PostSearch.terms) -> sa.ColumnElement:
    # The query text is cast: PostgreSQL reads it as tsquery input, so no parser or dictionary
    # runs on it (to_tsquery would cut and normalise the words again). It is written into the
    # statement's text (see in_statement_text), not sent as a parameter.
    return terms.bool_op("@@")(_tsquery_value(phrases))


def _tsquery_value(phrases: tuple[tuple[str, ...], ...]) -> sa.ColumnElement:
    return sa.cast(in_statement_text(tsquery(phrases), sa.String), TSQUERY)


def phrase_match(
    phrases: tuple[tuple[str, ...], ...], table: sa.Table = PostSearch.__table__
) -> sa.ColumnElement[bool]:
    """PostgreSQL: a row of ``post_search`` (``table``) holds every phrase, found through the
    phrases' pairs of neighbouring words where they have some.

    The words' GIN index keeps no positions: for a phrase it hands over every post holding
    all its words anywhere, which are then read to check their order; for two common words
    that was their long lists intersected and thousands of posts read for fewer with the
    phrase (XL "child reach": 3,533 for 2,590). A phrase's pairs are looked up in the index
    of ``pairs`` instead, whose lists are about the posts with the phrase, and the words in
    order are checked on those rows alone: through ``ts_match_vq`` (the function behind
    ``@@``), which no index serves, so the planner does not intersect the words' lists
    anyway. Single words of the query keep the words' index (a rare one is the shortest
    list); several phrases ask for all their pairs at once.
    """
    pairs = phrase_pairs(phrases)
    if not pairs:
        return _ts_match(phrases, table.c.terms)
    wanted = sa.cast(
        in_statement_text("{" + ",".join(map(str, pairs)) + "}", sa.String),
        postgresql.ARRAY(sa.Integer),
    )
    conditions = [table.c.pairs.bool_op("@>")(wanted)]
    if words := tuple(phrase for phrase in phrases if len(phrase) == 1):
        conditions.append(_ts_match(words, table.c.terms))
    in_order = sa.func.ts_match_vq(table.c.terms, _tsquery_value(phrases), type_=sa.Boolean)
    return sa.and_(*conditions, in_order)


def in_statement_text(value: Any, type_: sa.types.TypeEngine) -> sa.BindParameter:
    """``value`` written into the SQL text when the statement runs, not sent as a parameter
    (PostgreSQL pages whose best plan depends on it: the searched words, a tag, a limit).

    The app's PostgreSQL connections plan a prepared statement once, for any parameters
    (generic plans, app.database): a plan that cannot see how common the words or the tag are
    can be far off (a phrase at L: 66 ms instead of 2). With the value in the text, the plan
    is made for it, and a search run again on a connection reuses it instead of being planned
    afresh on every request (0.8-1 ms of the server's CPU per page at L, more than running a
    newest-first search page's statement). SQLAlchemy keeps compiling the statement once and
    writes the value in at execution; the values are words of letters and digits, tag ids and
    counts, rendered as SQL literals by their type.
    """
    return sa.bindparam(None, value, type_=type_, literal_execute=True)


def _tag_id(name: str) -> sa.ScalarSelect:
    return sa.select(Tag.id).where(Tag.name == name).scalar_subquery()


def decode_post_id(cursor: str) -> tuple[int]:
    """Cursor of a listing ordered by post id alone: the id."""
    if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= MAX_ID:
        raise BadCursor(cursor)
    return (int(cursor),)


def by_post_id(column, position=lambda card: card.id) -> Keyset:
    """Newest first by post id (ids grow with time), ``column`` being where the id is read in
    the index that drives the statement; ``position`` reads the id from a listed item."""
    return Keyset(
        columns=(column,),
        descending=True,
        encode=lambda item: str(position(item)),
        decode=decode_post_id,
    )


# The orders of results: the ``sort`` values of the page's address, and what the page calls them.
NEWEST, RELEVANT = "newest", "relevant"
ORDERS = {NEWEST: "Newest", RELEVANT: "Most relevant"}
RELEVANCE_SCALE = 1000


def order_named(value: str | None) -> str:
    """The order ``value`` (the address's ``sort``) names; anything else, missing, misspelt or
    from an old link, is newest first: a page of results beats an error for a word nobody types."""
    return value if value in ORDERS else NEWEST


def relevance_score(words: frozenset[str], tokens: list[str]) -> int:
    """How relevant a post whose words are ``tokens`` is to a search for ``words``: the share of
    the post's words that are searched words, in thousandths, rounded down (1000: nothing but
    them). Posts of equal score come newest first.

    This is the rule the databases apply (:func:`relevance`), written out in Python: the tests
    check the databases against it. It was chosen over each database's own ranking (bm25 on
    FTS5, ts_rank on PostgreSQL) because those weigh differently and in floating point, so the
    same search would list the same posts in different orders on each; this one is whole
    numbers from the words both indexes hold. Short posts that are mostly the searched words
    come first, as with those rankings' length normalisation.
    """
    hits = sum(1 for token in tokens if token in words)
    return RELEVANCE_SCALE * hits // len(tokens) if tokens else 0


def relevance(
    dialect: str,
    words: frozenset[str],
    terms: sa.ColumnElement = PostSearch.terms,
    word_count: sa.ColumnElement[int] | None = None,
) -> sa.ColumnElement[int]:
    """:func:`relevance_score` of each found post, in SQL, from its words (``terms``: its row of
    ``post_search``, or that column as a subquery gives it) and, on PostgreSQL, its number of
    words if stored (``word_count``: ``post_search_recent.word_count``; else counted here).

    On SQLite the row's words are a text, one space between words: each searched word is
    counted by how much shorter the text gets without it (spaces doubled first, so that
    neighbouring occurrences do not share one). On PostgreSQL they are a tsvector of lexemes
    with their positions, and a word occurs as many times as it has positions (posts are far
    shorter than the 256 positions a lexeme keeps): see :func:`_tsvector_score`. Both count in
    whole numbers and divide rounding down, so the scores are equal.
    """
    if dialect == "sqlite":
        text = sa.type_coerce(terms, sa.Text)
        spaced = sa.literal(" ") + sa.func.replace(text, " ", "  ") + sa.literal(" ")

        def length(text) -> sa.ColumnElement[int]:
            return sa.func.length(text, type_=sa.Integer)

        hits = reduce(
            operator.add,
            [
                (length(spaced) - length(sa.func.replace(spaced, f" {word} ", "")))
                // (len(word) + 2)
                for word in sorted(words)
            ],
        )
        spaces = length(text) - length(sa.func.replace(text, " ", ""))
        return (RELEVANCE_SCALE * hits) // (spaces + 1)
    return _tsvector_score(words, terms, word_count)


# Weights of a tsvector's positions: every position the index writes has the default, D.
_EVERY_WEIGHT = sa.literal_column("'{a,b,c,d}'")
_MARKED = sa.literal_column("'A'")
_MARKED_ONLY = sa.literal_column("'{a}'")


def _positions(vector: sa.ColumnElement, all_placed: bool = False) -> sa.ColumnElement[int]:
    """How many positions the tsvector ``vector`` holds (NULL if none): its lexemes that have
    positions, plus one for each comma of its text (``'owl':1,4 'heron':2`` holds three).
    ``post_search_recent.word_count`` stores the same count (models.search.WORD_COUNT).

    The text is cut at commas only, which few posts have (a word written twice): cut at
    every lexeme, the array costs as much as the unnest it replaces. Lexemes without
    positions (none today; a phrase index of word pairs would add them) are not counted:
    ``ts_filter`` leaves them out, unless ``all_placed`` says that every lexeme has some
    (a vector ``ts_filter`` made already).
    """
    placed = vector if all_placed else sa.func.ts_filter(vector, _EVERY_WEIGHT)
    lexemes = sa.func.length(placed, type_=sa.Integer)
    commas = sa.func.array_length(
        sa.func.string_to_array(sa.cast(vector, sa.Text), ","), 1, type_=sa.Integer
    )
    return lexemes + commas - 1


def _tsvector_score(
    words: frozenset[str], terms: sa.ColumnElement, word_count: sa.ColumnElement[int] | None
) -> sa.ColumnElement[int]:
    """:func:`relevance_score` from a post's tsvector: its positions of the searched words
    (the positions marked with weight A by ``setweight``, then kept alone by ``ts_filter``)
    over all its positions (``word_count`` if stored).

    Counted from the vectors themselves and their text, not by unnesting each one into rows
    (lexeme, positions, weights): that took 5-9 us a post at L, a fifth of the relevance
    window's statement (250 posts scored: 1.15 of its 5.8 ms); this takes 2-3 us, and less
    with the count of all positions stored (the cast of the whole vector to text was most of
    it: 0.6 ms of 5.4 at L for the window of 250).
    """
    searched = sa.func.ts_filter(
        sa.func.setweight(
            terms,
            _MARKED,
            sa.cast(in_statement_text(_text_array(words), sa.String), postgresql.ARRAY(sa.Text)),
        ),
        _MARKED_ONLY,
    )
    hits = sa.func.coalesce(_positions(searched, all_placed=True), 0)
    total = _positions(terms) if word_count is None else word_count
    return sa.cast((RELEVANCE_SCALE * hits) // total, sa.Integer)


def _text_array(words: frozenset[str]) -> str:
    """``words`` as PostgreSQL's text[] input, each quoted (unquoted, the word "null" would be
    a NULL; words are letters and digits, so nothing inside needs escaping)."""
    return "{" + ",".join(f'"{word}"' for word in sorted(words)) + "}"


class Found(NamedTuple):
    """A post a search found, as a card, and its relevance (None when listed newest first)."""

    card: PostCard
    score: int | None


_CARD_SIZE = len(POST_CARD.exprs)


def _found(values) -> Found:
    # The card's columns, then the score.
    return Found(PostCard._make(values[:_CARD_SIZE]), values[_CARD_SIZE])


def _found_bundle(score: sa.ColumnElement) -> TupleBundle:
    """Selects a :class:`Found`: the card's columns, then ``score``. Made by ``make``, so a
    search's page statement runs as its SQL text, made once (app.listings.frozen)."""
    return TupleBundle(Found, *POST_CARD.exprs, score, make=_found)


def decode_relevance(cursor: str) -> tuple[int, int]:
    """Cursor of results by relevance: ``<score>_<post id>``."""
    score, _, post_id = cursor.partition("_")
    if not (score.isascii() and score.isdigit() and post_id.isascii() and post_id.isdigit()):
        raise BadCursor(cursor)
    if not (int(score) <= RELEVANCE_SCALE and 0 < int(post_id) <= MAX_ID):
        raise BadCursor(cursor)
    return int(score), int(post_id)


def by_relevance(score: sa.ColumnElement[int], post_id: sa.ColumnElement[int]) -> Keyset:
    """The most relevant first, then newest first: (score, post id) both descending."""
    return Keyset(
        columns=(score, post_id),
        descending=True,
        encode=lambda found: f"{found.score}_{found.card.id}",
        decode=decode_relevance,
    )


RELEVANCE_WINDOW = sa.bindparam("relevance_window", type_=sa.Integer, literal_execute=True)
"""How many of the newest matches a search by relevance ranks (``SEARCH_RELEVANCE_WINDOW``),
written into the statement's text: how many rows it needs decides its plan."""
PAGE_LIMIT_IN_TEXT = sa.bindparam("page_limit", type_=sa.Integer, literal_execute=True)
"""A search or tag page's number of rows (:data:`PAGE_LIMIT`), in the statement's text: with
the words or the tag there, a generic plan is then the plan for these values (a generic plan
assumes that a limit it cannot see takes a tenth of the rows)."""


def search_pages(
    query: SearchQuery,
    dialect: str,
    viewer_id: int | None,
    order: str = NEWEST,
    window: int = 250,
) -> PageQuery:
    """Pages of the posts ``query`` finds that everyone may see, as :class:`Found` cards for
    the reader ``viewer_id`` (None: someone not logged in), newest first or, with
    ``order=RELEVANT``, the newest ``window`` of them by :func:`relevance_score` (a query
    without words, only tags and names, has nothing to score: newest first either way).

    The statement is driven by the most selective index it has: the full-text index for words,
    else the tag's range of ``post_tag``, else the posts of the named people. Hidden posts and
    suspended authors' posts are left out in the statement, for everyone (their authors and
    moderators find them on their profiles, not in search). Newest first a page stops after
    its rows where the index hands matches over in id order. By relevance only the newest
    ``window`` matches are scored, found the same way: ranking every match made a page's cost
    grow with the number of matches (2.3 s for a word in 1% of 10 million posts), and recent
    posts are what people search a microblog for; the page says so.
    """
    if query.is_empty:
        raise ValueError("an empty query finds nothing")
    if order == RELEVANT and query.phrases:
        return _listing(query, dialect, True).pages(viewer_id=viewer_id, relevance_window=window)
    recent = dialect == "postgresql" and _rare_among_recent(query)
    return _listing(query, dialect, False, recent).pages(viewer_id=viewer_id)


RECENT_WORDS_SHARE = 0.01
"""Newest first, a search of words and phrases whose matches are estimated at fewer than this
share of the newest posts reads them from ``post_search_recent`` first
(:meth:`_NewestMatchesFirst._recent_words_first`); a commoner one walks ``post_search``'s key
back, reading about a page's size divided by the share rows. At L (server CPU, a page's ids):
'report' (0.5% of recent posts) 2.1 ms walked, 1.0 from the recent table; 'base' (1.0%) 2.0
and 1.7; 'music' (3.3%) 0.9 and 4.0."""

_RECENT_SHARES: Memo[dict[str, float] | None] = Memo("recent_word_shares", seconds=600, size=1)

# The commonest lexemes of post_search_recent and their share of its rows, as ANALYZE (or
# autovacuum, every few thousand posts) last counted them. A tsvector column's element
# frequencies end with three more numbers (the least, the most, nulls): zip drops them.
_RECENT_STATS = sa.text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'post_search_recent' "
    "AND attname = 'terms'"
)


def recent_word_shares() -> dict[str, float] | None:
    """PostgreSQL: the commonest words of the newest posts (``post_search_recent``) and their
    share of those posts, from the table's statistics, read at most every ten minutes per
    process. A word not there is rarer than all of them. None if the table has no statistics
    (never analysed, or a database migrated to before the table)."""
    return _RECENT_SHARES.get("all", _read_recent_shares)


def _read_recent_shares() -> dict[str, float] | None:
    row = db.session.execute(_RECENT_STATS).first()
    if row is None:
        return None
    return dict(zip(row[0] or (), row[1] or (), strict=False))


_NEWEST_INDEXED: Memo[int] = Memo("newest_indexed_post", seconds=600, size=1)


def newest_indexed_id() -> int:
    """The newest post id in the search index (0 if none), read at most every ten minutes per
    process: phrases read ``post_search_recent`` first only from :data:`PHRASE_TABLE_FROM`,
    and the ids next to a page's start first only from :data:`PHRASE_RECENT_FROM`."""
    newest = sa.select(sa.func.max(PostSearch.post_id))
    return _NEWEST_INDEXED.get("all", lambda: db.session.scalar(newest) or 0)


def _rare_among_recent(query: SearchQuery) -> bool:
    """Whether a newest-first search of words and phrases (no tag, no name) reads
    ``post_search_recent`` first: if it is estimated to match fewer than
    :data:`RECENT_WORDS_SHARE` of the newest posts: each word's share by the statistics,
    multiplied (a word they do not list is rarer than those they do: it counts as none; a
    phrase's posts are among those with all its words). Without statistics, no: the walk, as
    before the table.

    A phrase of two words or more, besides, only if the table holds a page of its matches
    (:func:`recent_phrase_matches`) and, below :data:`PHRASE_TABLE_FROM` posts, never. Its
    other path reads it by its pairs, and the words' shares say nothing of how often they are
    neighbours: with a page in the table, reading it first saves reading every match to sort
    them (at L, 'water role', 457 posts, 45 in the table: 1.6 -> 0.6 ms); with fewer, the
    rest is read by the pairs after it, which costs more than reading them by the pairs
    alone (at L, 'before face', 19 in the table: 1.45 -> 1.65 ms; at XL, 'child reach', 18:
    1.5 -> 1.9 ms)."""
    if query.tags or query.authors:
        return False
    shares = recent_word_shares()
    if shares is None:
        return False
    estimate = 1.0
    for word in query.words:
        estimate *= shares.get(word, 0.0)
    if estimate >= RECENT_WORDS_SHARE:
        return False
    if not phrase_pairs(query.phrases):
        return True
    if newest_indexed_id() < PHRASE_TABLE_FROM:
        return False
    page = current_app.config["POSTS_PER_PAGE"] + 1
    return recent_phrase_matches(query, page) >= page


PHRASE_TABLE_FROM = 2 * RECENT_POSTS
"""The newest id from which a phrase in a small index may read ``post_search_recent`` first
(:func:`_rare_among_recent`): where the table holds more than half the posts, it holds
about as many of the phrase's matches as its pairs' index, and finding them by the words
costs more (at S, where it holds them all: 0.47 -> 0.52 ms for 46 matches, 0.89 -> 1.08
for 2,000)."""

SEARCH_STATEMENTS_KEPT = 512

_RECENT_PHRASES: Memo[int] = Memo("recent_phrase_matches", seconds=600, size=SEARCH_STATEMENTS_KEPT)


def recent_phrase_matches(query: SearchQuery, enough: int) -> int:
    """PostgreSQL: how many rows of ``post_search_recent`` hold every phrase of ``query`` and
    none of its excluded ones, counted up to ``enough``, read at most every ten minutes per
    process and search (hidden posts count: a page may need more, which the statement then
    reads by the phrase's pairs)."""
    key = (query.phrases, query.excluded, enough)
    # The statement is built only when the count is (building it cost each page 0.05 ms).
    return _RECENT_PHRASES.get(key, lambda: _count_recent_phrase_matches(query, enough))


def _count_recent_phrase_matches(query: SearchQuery, enough: int) -> int:
    recent = PostSearchRecent.__table__
    held = (
        sa.select(recent.c.post_id)
        .where(
            _ts_match(query.phrases, recent.c.terms),
            *(~_ts_match((phrase,), recent.c.terms) for phrase in query.excluded),
        )
        .limit(in_statement_text(enough, sa.Integer))
        .subquery("held")
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(held))


@lru_cache(maxsize=SEARCH_STATEMENTS_KEPT)
def _listing(
    query: SearchQuery, dialect: str, ranked: bool, recent: bool = False
) -> PreparedListing:
    """The listing of ``query``'s results, its statements built once per worker and search.

    Building a search's statement and SQLAlchemy working out its cache key cost more than
    running it at L on SQLite: 0.65 ms of CPU a page newest first (0.38 with the listing
    kept), 1.45 ms by relevance (1.35 kept). The query's words are values in the statement,
    so a kept listing serves the same search again (one people repeat: a trending word, a
    tag); the reader and the window are bind parameters.

    Its pages run as SQL text made once (app.listings.frozen): the words, which PostgreSQL's
    statements hold written into their text (:func:`in_statement_text`), are this listing's
    own, so its texts serve this search alone; the values given per page that are written in
    too, the page's size and the relevance window, are named in ``literal``: a text per value.
    With ``recent`` (PostgreSQL, newest first, words rare among the newest posts) pages read
    ``post_search_recent`` first.
    """
    listing = _search_listing(query, dialect, ranked, recent)
    listing.literal = ("page_limit", "relevance_window") if ranked else ("page_limit",)
    return listing


def _search_listing(
    query: SearchQuery, dialect: str, ranked: bool, recent: bool
) -> PreparedListing:
    if dialect == "postgresql" and query.phrases and not (query.tags or query.authors):
        # Words alone: ids first (see _NewestMatchesFirst). With names or tags, the person's
        # posts or the tag's range may drive the statement better: those keep the join.
        return _NewestMatchesFirst(query, ranked, recent)
    if ranked:
        newest = sa.select(Post.id.label("post_id")).where(post_visible_to(Post.__table__, None))
        newest, column = _narrowed(newest, query, dialect)
        newest = newest.order_by(column.desc()).limit(RELEVANCE_WINDOW).subquery("newest")
        # Labelled: ordered by its name, it is worked out once per match, not twice.
        score = relevance(dialect, query.words).label("score")
        matches = sa.select(newest.c.post_id, score).join(
            PostSearch, PostSearch.post_id == newest.c.post_id
        )
        return _TopMatches(by_relevance(score, newest.c.post_id), lambda: matches)
    if query.phrases and dialect == "postgresql":  # see _TopMatches; FTS5 gives id order
        ids = sa.select(Post.id.label("post_id")).where(post_visible_to(Post.__table__, None))
        ids, column = _narrowed(ids, query, dialect)
        return _TopMatches(by_post_id(column, lambda found: found.card.id), lambda: ids)
    stmt = card_select(_found_bundle(sa.null())).where(post_visible_to(Post.__table__, None))
    stmt, column = _narrowed(stmt, query, dialect)
    keyset = by_post_id(column, lambda found: found.card.id)
    return PreparedListing(keyset, lambda: stmt.order_by(None))


def _narrowed(stmt: sa.Select, query: SearchQuery, dialect: str) -> tuple[sa.Select, Any]:
    """``stmt`` (of posts) cut to what ``query`` finds, and the column where the driving index
    reads the post id."""
    tags = list(query.tags)
    if query.phrases and dialect == "sqlite":
        stmt = stmt.join(_FTS, _FTS.c.rowid == Post.id).where(
            _FTS.c[FTS_TABLE].op("MATCH")(fts5_match(query.phrases))
        )
        column = _FTS.c.rowid
    elif query.phrases:
        stmt = stmt.join(PostSearch, PostSearch.post_id == Post.id).where(
            phrase_match(query.phrases)
        )
        column = PostSearch.post_id
    elif tags:
        first = post_tag.alias("first_tag")
        stmt = stmt.join(first, first.c.post_id == Post.id).where(
            first.c.tag_id == _tag_id(tags.pop(0))
        )
        column = first.c.post_id
    else:
        column = Post.id
    for name in tags:
        stmt = stmt.where(
            sa.exists().where(post_tag.c.post_id == Post.id, post_tag.c.tag_id == _tag_id(name))
        )
    if query.authors:
        stmt = stmt.where(
            Post.user_id.in_(sa.select(User.id).where(User.username_key.in_(query.authors)))
        )
    for phrase in query.excluded:
        stmt = stmt.where(~_matching(dialect, (phrase,), Post.id))
    return stmt, column


class _TopMatches(PreparedListing):
    """Pages of word searches in two steps, in one statement: the page's post ids (and scores,
    by relevance) first, then the cards of those alone.

    Sorting cards, SQLite worked out every match's card (its counts of replies and likes, its
    mentions) before the sort: 105 ms for a word in 10,000 posts at L. PostgreSQL did the same
    newest first for the matches of a phrase, which its GIN index hands over in no order: at
    XL, 1,759 posts' authors and parents were read for a page of 26 (half the statement's
    buffers). Newest first on SQLite, FTS5 hands matches over in id order and the one-step
    statement stops after its rows, so it keeps that (the two steps cost it 0.2 ms of CPU).
    """

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select:
        """The page's ids (and scores) as a subquery, joined to their cards."""
        top = self.keyset.slice(self._build(), position, reverse, PAGE_LIMIT).subquery("top")
        ranked = "score" in top.c
        order = (top.c.score, top.c.post_id) if ranked else (top.c.post_id,)
        return (
            card_select(_found_bundle(top.c.score if ranked else sa.null()))
            .join(top, top.c.post_id == Post.id)
            .order_by(*self.keyset.ordering(reverse, columns=order))
        )


def visible_in_order(
    matches: sa.Select,
    column: sa.ColumnElement[int],
    position: tuple | None,
    reverse: bool,
    limit: Any,
    viewer_id: Any = None,
    recent_first: bool = False,
) -> sa.Select:
    """The first ``limit`` rows of ``matches`` (a statement of one table, ``column`` its post
    id) whose post ``viewer_id`` may see (None: everyone), newest first (oldest first if
    ``reverse``), beyond ``position``: the ids in order first, then one probe of ``post`` per
    row until ``limit`` are found (see :class:`_NewestMatchesFirst`). With ``recent_first``
    (matches found through a GIN index, in no order) the ids nearest ``position`` are looked
    for first (:func:`_recent_first`)."""
    keyset = by_post_id(column)
    if recent_first and (position is not None or not reverse):
        ordered = _recent_first(matches, column, position, reverse, keyset)
    else:
        if position is not None:
            matches = matches.where(keyset.beyond(position, reverse))
        ordered = matches.order_by(*keyset.ordering(reverse))
    # OFFSET 0 as a constant: the classic fence, with nothing for a plan to guess.
    fence = sa.literal_column("0", sa.Integer)
    ordered = ordered.offset(fence).subquery("matches")
    post = Post.__table__.alias("shown")
    visible = (
        sa.select(post_visible_to(post, viewer_id))
        .where(post.c.id == ordered.c[column.key])
        .scalar_subquery()
    )
    return sa.select(*ordered.c).where(visible).limit(limit)


PHRASE_RECENT_IDS = 131_072
"""How many ids next to a page's start (the newest post's, or the cursor's) a phrase's
matches are looked for in first, through the BRIN index of ``post_search``'s ids
(:func:`_recent_first`): at XL, where a bench phrase holds 3,494 posts, the newest 26 are
within the newest 74,000 ids."""
PHRASE_RECENT_FROM = 2_000_000
"""The newest id from which :func:`_recent_first` looks in the recent ids first. Below it a
phrase's matches are few enough to read whole (at L, 185 for a bench phrase: 0.3 ms of the
server's CPU), and reading the recent ids first cost more than it saved (1.0 ms)."""


def _recent_first(
    matches: sa.Select,
    column: sa.ColumnElement[int],
    position: tuple | None,
    reverse: bool,
    keyset: Keyset,
) -> sa.CompoundSelect:
    """``matches`` beyond ``position`` in ``keyset``'s order: first those within
    :data:`PHRASE_RECENT_IDS` ids of the page's start, then the others, each part sorted (a
    UNION ALL in that order, which a LIMIT above stops reading once it has its rows).

    A phrase's matches come from the pairs' GIN index, which hands them over in no order, so
    every match was read from the table to sort them: its cost grew with the phrase's posts,
    about 3,500 at XL (6.6 ms of the server's CPU for a page, against 1.8 ms this way). The first
    part is the GIN index's matches ANDed with the recent ids' blocks from a BRIN index
    (``ix_post_search_post_id_brin``: a bitmap of pages, cheap at any size; of the ids as
    ``bigint``, so that no other statement's bounds on the ids use it), so only the
    matches among the recent posts are read; the second part, run only if the first holds
    too few visible posts, is the whole search as before, its bounds on ``column + 0`` (no
    index of any kind). A BRIN bitmap ANDed with a GIN one is lossy when PostgreSQL puts the
    BRIN first: every row of each block with a match is read again (a phrase bounded at L:
    2.4 ms of the server's CPU instead of 0.2-0.4). Both parts are gated by the newest id
    (:data:`PHRASE_RECENT_FROM`): below it the first part is skipped and the second is the
    search as before.
    """
    newest = sa.select(sa.func.max(column)).scalar_subquery()
    large = newest >= in_statement_text(PHRASE_RECENT_FROM, sa.Integer)
    recent = in_statement_text(PHRASE_RECENT_IDS, sa.Integer)
    start = newest + 1 if position is None else position[0]
    # The BRIN index is of the ids as bigint (models.search): this part alone asks for them so.
    as_indexed, unindexed = sa.cast(column, sa.BigInteger), column + 0
    if reverse:  # oldest first, from the cursor up
        bound = start + recent
        near, far = as_indexed <= bound, sa.or_(~large, unindexed > bound)
    else:
        bound = start - recent
        near, far = as_indexed >= bound, sa.or_(~large, unindexed < bound)
    order = keyset.ordering(reverse)
    near_matches, far_matches = matches.where(large, near), matches.where(far)
    if position is not None:
        near_matches = near_matches.where(keyset.beyond(position, reverse, columns=[as_indexed]))
        far_matches = far_matches.where(keyset.beyond(position, reverse, columns=[unindexed]))
    return sa.union_all(near_matches.order_by(*order), far_matches.order_by(*order))


class _NewestMatchesFirst(PreparedListing):
    """PostgreSQL, a search of words alone: the matches' ids newest first from ``post_search``
    by itself, and only then whether everyone may see each post, until the page (or the
    relevance window) is full.

    Checked together, PostgreSQL read the visibility of every post it went past: newest first
    it walked ``post`` beside ``post_search`` (5,600 posts for a word in 0.5% of L's), and a
    phrase, whose matches the GIN index hands over in no order, had all its matches' posts
    read before the sort (1,759 at XL for a page of 26). Here the matches are a subquery the
    planner may not merge into the rest (``OFFSET 0``), sorted by id, and its outer query
    only filters and limits them: PostgreSQL then plans the subquery for the few rows the
    limit needs (a backward walk of ``post_search``'s key for a common word, the GIN index and
    a sort for a rare phrase), and each post's visibility is one probe by id, in the
    subquery's order. The outer query must not sort (the subquery's order is kept through a
    filter and a limit): with an ORDER BY there PostgreSQL plans the subquery for all its
    rows, and a common word sorted every match (23 ms at L instead of 0.9).
    """

    def __init__(self, query: SearchQuery, ranked: bool, recent: bool = False) -> None:
        self.query, self.ranked, self.recent = query, ranked, recent
        self.words = (
            phrase_match(query.phrases),
            *(~_ts_match((phrase,)) for phrase in query.excluded),
        )
        if ranked:
            newest = self._window(RELEVANCE_WINDOW).subquery("newest")
            score = relevance("postgresql", query.words, newest.c.terms, newest.c.word_count)
            score = score.label("score")
            matches = sa.select(newest.c.post_id, score)
            super().__init__(by_relevance(score, newest.c.post_id), lambda: matches)
        else:
            super().__init__(by_post_id(PostSearch.post_id, lambda found: found.card.id))

    def _newest(self, position: tuple | None, reverse: bool, limit) -> sa.Select:
        """Up to ``limit`` matches everyone may see (id, and words when ranked), beyond
        ``position``, newest first (oldest first if ``reverse``)."""
        if self.ranked:
            matches = sa.select(PostSearch.post_id, PostSearch.terms).where(*self.words)
            return visible_in_order(matches, PostSearch.post_id, position, reverse, limit)
        if self.recent and not reverse:
            return self._recent_words_first(position, limit)
        # Ids alone: sorting a phrase's matches carried each one's words too (at XL, 3,494
        # of them: 7.0-7.5 ms of the server's CPU instead of 8.0).
        matches = sa.select(PostSearch.post_id).where(*self.words)
        return visible_in_order(
            matches,
            PostSearch.post_id,
            position,
            reverse,
            limit,
            recent_first=bool(phrase_pairs(self.query.phrases)),
        )

    def _recent_words_first(self, position: tuple | None, limit) -> sa.Select:
        """Up to ``limit`` matches everyone may see, newest first, beyond ``position``: those
        in ``post_search_recent`` first, then the walk of ``post_search`` below its lowest
        id (a UNION ALL under the limit, as :meth:`_window`; ids alone). A phrase's matches
        below it are read by its pairs, the recent ids first (:func:`_recent_first`).

        Walking ``post_search``'s key back reads about the page's size divided by the word's
        share of the newest posts: 5,445 rows for a page of 'base' at L (0.5% of the newest).
        The recent table's GIN index hands over its matches of a word that is rare there
        (a bitmap, then a sort, bounded by its size times the word's share; for words it
        holds often, :data:`RECENT_WORDS_SHARE`, the walk stays). A page whose cursor is
        below the table's lowest id skips it (a one-time filter) and walks from the cursor.
        """
        recent = PostSearchRecent.__table__
        # Below the lowest id kept (no row kept: every post; ids are positive).
        floor = sa.select(
            sa.func.coalesce(sa.func.min(recent.c.post_id), MAX_ID + 1)
        ).scalar_subquery()
        words = (
            _ts_match(self.query.phrases, recent.c.terms),
            *(~_ts_match((phrase,), recent.c.terms) for phrase in self.query.excluded),
        )
        # Sorted and bounded by ``post_id + 0``: with the key's order or range on offer the
        # planner walks the small table's key instead (as slow as main's walk).
        matches = sa.select(recent.c.post_id).where(*words)
        older = sa.select(PostSearch.post_id).where(*self.words, PostSearch.post_id < floor)
        if position is not None:
            matches = matches.where(recent.c.post_id + 0 < position[0], position[0] > floor)
        fence = sa.literal_column("0", sa.Integer)
        matches = (
            matches.order_by((recent.c.post_id + 0).desc()).offset(fence).subquery("recent_ids")
        )
        post = Post.__table__.alias("shown_recent")
        visible = (
            sa.select(post_visible_to(post, None))
            .where(post.c.id == matches.c.post_id)
            .scalar_subquery()
        )
        newest = sa.select(matches.c.post_id).where(visible).limit(limit)
        older = visible_in_order(
            older,
            PostSearch.post_id,
            position,
            False,
            limit,
            recent_first=bool(phrase_pairs(self.query.phrases)),
        )
        both = sa.union_all(newest, older).subquery("recent_first")
        return sa.select(both.c.post_id).limit(limit)

    def _window(self, limit) -> sa.Select:
        """The newest ``limit`` matches everyone may see (id, words and their number),
        newest first: from ``post_search_recent`` and, if it holds fewer, from
        ``post_search`` below its lowest id, in one statement.

        Walking ``post_search``'s key back, a window of 250 for a word in 0.6% of recent
        posts read 28,649 rows (3.7 ms at L and XL). The recent table's own GIN index hands
        over its matches (a bitmap, then a sort: bounded by its size times the word's share)
        and the first branch of the ``UNION ALL`` is usually the whole window: under the
        limit, the second, the walk, then never runs. Sorted by ``post_id + 0``: with the
        key's order on offer the planner walked the small table's key instead. Each post's
        visibility is one probe by id in that order, as :func:`visible_in_order` does.
        """
        recent = PostSearchRecent.__table__
        words = (
            _ts_match(self.query.phrases, recent.c.terms),
            *(~_ts_match((phrase,), recent.c.terms) for phrase in self.query.excluded),
        )
        fence = sa.literal_column("0", sa.Integer)
        matches = (
            sa.select(recent.c.post_id, recent.c.terms, recent.c.word_count)
            .where(*words)
            .order_by((recent.c.post_id + 0).desc())
            .offset(fence)
            .subquery("recent_matches")
        )
        post = Post.__table__.alias("shown_recent")
        visible = (
            sa.select(post_visible_to(post, None))
            .where(post.c.id == matches.c.post_id)
            .scalar_subquery()
        )
        newest = sa.select(*matches.c).where(visible).limit(limit)
        # Below the lowest id kept (no row kept: every post; ids are positive).
        floor = sa.select(sa.func.coalesce(sa.func.min(recent.c.post_id), MAX_ID + 1))
        older = sa.select(PostSearch.post_id, PostSearch.terms).where(
            *self.words, PostSearch.post_id < floor.scalar_subquery()
        )
        older = visible_in_order(older, PostSearch.post_id, None, False, limit).subquery("older")
        # Counted above the walk's limit: below it, a rare word's sorted matches would all be.
        older = sa.select(older.c.post_id, older.c.terms, _positions(older.c.terms))
        both = sa.union_all(newest, older).subquery("recent_first")
        return sa.select(*both.c).limit(limit)

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select:
        """The page's ids (and scores), then the cards of those alone."""
        if self.ranked:
            top = self._build()
            top = self.keyset.slice(top, position, reverse, PAGE_LIMIT_IN_TEXT).subquery("top")
            score, order = top.c.score, (top.c.score, top.c.post_id)
        else:
            top = self._newest(position, reverse, PAGE_LIMIT_IN_TEXT).subquery("top")
            score, order = sa.null(), (top.c.post_id,)
        return (
            card_select(_found_bundle(score))
            .join(top, top.c.post_id == Post.id)
            .order_by(*self.keyset.ordering(reverse, columns=order))
        )
