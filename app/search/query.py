"""What people type in the post search box, read into a :class:`SearchQuery`, and the pages of
posts it finds on either database.

The little language: words (every one must be there, in any case and with or without accents),
``"an exact phrase"``, ``-word`` or ``-"a phrase"`` (must not be there), ``from:name`` (by that
person; several: by any of them) and ``#tag`` (has that hashtag). Any text reads as a query:
characters the databases' own query syntaxes give a meaning to are only ever part of words, an
unclosed quote runs to the end, control characters are spaces. Text with nothing to look for
(only punctuation, only ``-word``) reads as an empty query, which the page explains.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from app.listings.keyset import BadCursor, Keyset, PageQuery, PreparedListing
from app.listings.posts import card_select
from app.models import MAX_ID, Post, User, post_visible_to
from app.models.search import (
    FTS_TABLE,
    HASHTAG,
    PostSearch,
    Tag,
    normalize_tag,
    post_tag,
    search_tokens,
)

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
    # The query text is a bound value, cast: PostgreSQL reads it as tsquery input, so no
    # parser or dictionary runs on it (to_tsquery would cut and normalise the words again).
    return terms.op("@@")(sa.cast(tsquery(phrases), TSQUERY))


def _tag_id(name: str) -> sa.ScalarSelect:
    return sa.select(Tag.id).where(Tag.name == name).scalar_subquery()


def decode_post_id(cursor: str) -> tuple[int]:
    """Cursor of a listing ordered by post id alone: the id."""
    if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= MAX_ID:
        raise BadCursor(cursor)
    return (int(cursor),)


def by_post_id(column) -> Keyset:
    """Newest first by post id (ids grow with time), ``column`` being where the id is read in
    the index that drives the statement."""
    return Keyset(
        columns=(column,),
        descending=True,
        encode=lambda card: str(card.id),
        decode=decode_post_id,
    )


def search_pages(query: SearchQuery, dialect: str, viewer_id: int | None) -> PageQuery:
    """Pages of the posts ``query`` finds that everyone may see, newest first, as cards for the
    reader ``viewer_id`` (None: someone not logged in).

    The statement is driven by the most selective index it has: the full-text index for words,
    else the tag's range of ``post_tag``, else the posts of the named people. Hidden posts and
    suspended authors' posts are left out in the statement, for everyone (their authors and
    moderators find them on their profiles, not in search).
    """
    if query.is_empty:
        raise ValueError("an empty query finds nothing")
    stmt = card_select().where(post_visible_to(Post.__table__, None))
    tags = list(query.tags)
    if query.phrases and dialect == "sqlite":
        stmt = stmt.join(_FTS, _FTS.c.rowid == Post.id).where(
            _FTS.c[FTS_TABLE].op("MATCH")(fts5_match(query.phrases))
        )
        order = _FTS.c.rowid
    elif query.phrases:
        stmt = stmt.join(PostSearch, PostSearch.post_id == Post.id).where(_ts_match(query.phrases))
        order = PostSearch.post_id
    elif tags:
        first = post_tag.alias("first_tag")
        stmt = stmt.join(first, first.c.post_id == Post.id).where(
            first.c.tag_id == _tag_id(tags.pop(0))
        )
        order = first.c.post_id
    else:
        order = Post.id
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
    keyset = by_post_id(order)
    return PreparedListing(keyset, lambda: stmt.order_by(None)).pages(viewer_id=viewer_id)
