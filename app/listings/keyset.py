"""Keyset ("cursor") pagination: pages are found by the last item seen, never by OFFSET.

A page link carries ``after=<cursor>`` (the next page in display order) or ``before=<cursor>``
(the previous one). The cost of a page does not grow with how deep it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.listings.frozen import fetch_items
from app.models.types import MAX_ID
from app.web.text import has_control_characters

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class BadCursor(ValueError):
    """A cursor in a page link that cannot be decoded."""


@dataclass(frozen=True)
class Keyset:
    """How a listing is ordered and how its position is written into a link.

    ``columns`` are the ordering columns (together unique), all sorted the same way.
    """

    columns: Sequence[Any]
    descending: bool
    encode: Callable[[Any], str]
    decode: Callable[[str], tuple]

    def ordering(self, reverse: bool = False, columns: Sequence[Any] | None = None) -> list:
        """ORDER BY clauses, optionally reversed (used to walk backwards).

        ``columns`` stand in for :attr:`columns` when querying an alias of the same table.
        """
        desc = self.descending != reverse
        return [col.desc() if desc else col.asc() for col in columns or self.columns]

    def beyond(
        self, values: tuple, reverse: bool = False, columns: Sequence[Any] | None = None
    ) -> sa.ColumnElement[bool]:
        """Condition for rows strictly after ``values`` in display order (before if ``reverse``)."""
        smaller = self.descending != reverse
        return _row_compare(list(columns or self.columns), list(values), smaller)

    def slice(
        self, stmt: sa.Select, position: Sequence | None, reverse: bool, limit: Any
    ) -> sa.Select:
        """``stmt`` limited to ``limit`` rows after ``position`` (from the start if None)."""
        if position is not None:
            stmt = stmt.where(self.beyond(position, reverse=reverse))
        return stmt.order_by(*self.ordering(reverse=reverse)).limit(limit)


def _row_compare(columns: list, values: list, smaller: bool) -> sa.ColumnElement[bool]:
    # (a, b) < (x, y) spelled as a <= x AND (a < x OR (a = x AND b < y)): the first, redundant
    # term is a plain range both SQLite and PostgreSQL seek to in an index on (..., a, b).
    first, value = columns[0], values[0]
    strict = first < value if smaller else first > value
    if len(columns) == 1:
        return strict
    bound = first <= value if smaller else first >= value
    rest = _row_compare(columns[1:], values[1:], smaller)
    return sa.and_(bound, sa.or_(strict, sa.and_(first == value, rest)))


def time_id_keyset(
    time: Any, ident: Any, *, descending: bool, position: Callable[[Any], tuple[datetime, int]]
) -> Keyset:
    """The order of a listing by a time and an id column (the id breaks ties), and its cursors.

    ``position`` gives an item's (time, id), e.g. ``lambda post: (post.timestamp, post.id)``.
    """
    return Keyset(
        columns=(time, ident),
        descending=descending,
        encode=lambda item: encode_time_id(*position(item)),
        decode=decode_time_id,
    )


@dataclass
class Page:
    """One page of a listing with cursors for its neighbours (None where there is none)."""

    items: list
    next_cursor: str | None
    prev_cursor: str | None


PAGE_LIMIT = sa.bindparam("page_limit", type_=sa.Integer)
"""How many rows a page statement reads (a page, and one more to tell if there is a next)."""


class PreparedListing:
    """A listing whose page statements are built once, with bind parameters for what changes.

    Building a statement, and SQLAlchemy working out its cache key, cost about as much as a
    fast page query takes to run: pages of a prepared listing skip both. ``build`` gives the
    listing's statement without ordering or limits; its bind parameters (those of
    :mod:`app.models.params`) get their values in :meth:`pages`. A listing that needs a
    special shape to stay fast (the home timeline) overrides :meth:`page_statement` and
    :meth:`limit_values`.

    A page's statement runs as SQL text compiled once (:mod:`app.listings.frozen`), which
    also saves SQLAlchemy hashing the statement's cache key on every page.
    """

    literal: tuple[str, ...] = ()
    """Parameters written into the SQL text (bound with ``literal_execute``): the text is
    made once per value of each."""

    def __init__(self, keyset: Keyset, build: Callable[[], sa.Select] | None = None) -> None:
        self.keyset = keyset
        self._build = build
        # Where a page starts: one parameter per ordering column, of that column's type.
        self.position = tuple(
            sa.bindparam(f"position_{n}", type_=column.type)
            for n, column in enumerate(keyset.columns)
        )
        self._statements: dict[tuple[bool, bool], sa.Select] = {}

    def pages(self, **values: Any) -> PageQuery:
        """The listing's pages, with ``values`` for its bind parameters."""
        return PageQuery(self, values)

    def statement(self, reverse: bool, positioned: bool) -> sa.Select:
        """The statement of a page in one direction, from the start or from a position."""
        stmt = self._statements.get((reverse, positioned))
        if stmt is None:
            stmt = self.page_statement(reverse, self.position if positioned else None)
            self._statements[reverse, positioned] = stmt
        return stmt

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select:
        """Build the statement of a page: ``build``'s, cut by the keyset."""
        return self.keyset.slice(self._build(), position, reverse, PAGE_LIMIT)

    def limit_values(self, limit: int) -> dict[str, Any]:
        """The values of the parameters that say how many rows a page statement reads."""
        return {"page_limit": limit}

    def fetch(self, statement: sa.Select, values: dict[str, Any]) -> list:
        """The items ``statement`` gives with ``values``: run as its SQL text, made once
        (:mod:`app.listings.frozen`), when it selects a :class:`TupleBundle`, else through
        the session."""
        return fetch_items(statement, values, self.literal)


class PageQuery:
    """The pages of one listing as one reader sees it: the interface every listing offers.

    Called with ``(position, reverse, limit)`` it gives the statement of the ``limit`` items
    beyond ``position`` (from the start if None; walking backwards if ``reverse``) and the
    values of its bind parameters; :func:`keyset_page` turns those into a :class:`Page`.
    """

    __slots__ = ("listing", "values")

    def __init__(self, listing: PreparedListing, values: dict[str, Any]) -> None:
        self.listing = listing
        self.values = values

    @property
    def keyset(self) -> Keyset:
        """The listing's order, and how its cursors are written."""
        return self.listing.keyset

    def __call__(
        self, position: tuple | None, reverse: bool, limit: int
    ) -> tuple[sa.Select, dict[str, Any]]:
        listing = self.listing
        params = {**self.values, **listing.limit_values(limit)}
        if position is not None:
            params.update(zip((p.key for p in listing.position), position, strict=True))
        return listing.statement(reverse, position is not None), params


def select_pages(stmt: sa.Select, keyset: Keyset) -> PageQuery:
    """The pages of a plain Select (a model method's, say) in ``keyset`` order.

    Its own ordering is replaced by the keyset's. Its statements are built for this use only:
    for one-off listings and as the plain reference that prepared listings are checked
    against.
    """
    return PreparedListing(keyset, lambda: stmt.order_by(None)).pages()


def keyset_page(
    pages: PageQuery, per_page: int, after: str | None = None, before: str | None = None
) -> Page:
    """Fetch the page of ``pages`` after (or before) a cursor, in the listing's order.

    A cursor with nothing beyond it (what followed was deleted since the link was made) gives
    the page at that end of the listing: an empty page would look like an empty listing.
    """
    keyset = pages.keyset
    if before:
        page = _page_backwards(pages, keyset.decode(before), per_page)
        return page if page.items else _page_forwards(pages, None, per_page)
    if after:
        page = _page_forwards(pages, keyset.decode(after), per_page)
        return page if page.items else _page_backwards(pages, None, per_page)
    return _page_forwards(pages, None, per_page)


def _page_forwards(pages: PageQuery, position, per_page: int) -> Page:
    """The page after ``position`` (the first page if None)."""
    keyset = pages.keyset
    rows = _fetch(pages, position, per_page, reverse=False)
    items = rows[:per_page]
    return Page(
        items=items,
        next_cursor=keyset.encode(items[-1]) if len(rows) > per_page else None,
        prev_cursor=keyset.encode(items[0]) if position is not None and items else None,
    )


def _page_backwards(pages: PageQuery, position, per_page: int) -> Page:
    """The page before ``position`` (the last page if None)."""
    keyset = pages.keyset
    rows = _fetch(pages, position, per_page, reverse=True)
    items = list(reversed(rows[:per_page]))
    return Page(
        items=items,
        next_cursor=keyset.encode(items[-1]) if position is not None and items else None,
        prev_cursor=keyset.encode(items[0]) if len(rows) > per_page else None,
    )


def _fetch(pages: PageQuery, position, per_page: int, reverse: bool) -> list:
    # One row more than a page tells whether there is a next one.
    stmt, params = pages(position, reverse, per_page + 1)
    return pages.listing.fetch(stmt, params)


def encode_time_id(when: datetime, ident: int) -> str:
    """Cursor text for a (timestamp, id) position."""
    return f"{(when - EPOCH) // MICROSECOND}_{ident}"


def decode_time_id(cursor: str) -> tuple[datetime, int]:
    """Inverse of :func:`encode_time_id`; raises :class:`BadCursor` on anything else.

    The id must be one a row can have: the database refuses to compare with a larger one.
    """
    micros, _, ident = cursor.partition("_")
    try:
        when, row_id = EPOCH + int(micros) * MICROSECOND, int(ident)
    except (ValueError, OverflowError) as exc:
        raise BadCursor(cursor) from exc
    if not 0 < row_id <= MAX_ID:
        raise BadCursor(cursor)
    return when, row_id


def decode_text(cursor: str) -> tuple[str]:
    """Cursor for a single text column (no control characters: PostgreSQL cannot compare NUL)."""
    if not cursor or len(cursor) > 64 or has_control_characters(cursor):
        raise BadCursor(cursor)
    return (cursor,)


def prefix_end(prefix: str) -> str:
    """The end of the texts that start with ``prefix``, by code point: they are exactly those
    from ``prefix`` (included) to this (excluded), where the column compares by code point
    (SQLite's way; ``COLLATE "C"`` on PostgreSQL). Nothing: above every text of this app."""
    if not prefix:
        return "\U0010ffff"
    last = ord(prefix[-1]) + 1
    if last > 0x10FFFF:  # no character after it: the texts after the shorter prefix
        return prefix_end(prefix[:-1])
    if 0xD800 <= last <= 0xDFFF:  # surrogates are no characters of a text
        last = 0xE000
    return prefix[:-1] + chr(last)
