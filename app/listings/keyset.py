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

from app.extensions import db
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


@dataclass
class Page:
    """One page of a listing with cursors for its neighbours (None where there is none)."""

    items: list
    next_cursor: str | None
    prev_cursor: str | None


PageQuery = Callable[[tuple | None, bool, int], tuple[sa.Select, dict[str, Any]]]
"""Gives a page's statement and the values of its bind parameters:
``(position, reverse, limit) -> (statement, values)``; see :func:`keyset_page`."""


class PreparedListing:
    """A listing whose page statements are built once, with bind parameters for what changes.

    Building a statement, and SQLAlchemy working out its cache key, cost about as much as a
    fast page query takes to run: pages of a prepared listing skip both. ``build`` gives the
    listing's statement without ordering or limits; its own bind parameters get their values
    in :meth:`pages`.
    """

    def __init__(self, keyset: Keyset, build: Callable[[], sa.Select]) -> None:
        self.keyset = keyset
        self._build = build
        self._position = [
            sa.bindparam(f"position_{n}", type_=column.type)
            for n, column in enumerate(keyset.columns)
        ]
        self._statements: dict[tuple[bool, bool], sa.Select] = {}

    def pages(self, **values: Any) -> PageQuery:
        """The listing's :data:`PageQuery`, with ``values`` for ``build``'s bind parameters."""

        def page_query(position: tuple | None, reverse: bool, limit: int):
            params = {**values, "page_limit": limit}
            if position is not None:
                params.update(zip((p.key for p in self._position), position, strict=True))
            return self._statement(reverse, position is not None), params

        return page_query

    def _statement(self, reverse: bool, positioned: bool) -> sa.Select:
        stmt = self._statements.get((reverse, positioned))
        if stmt is None:
            position = self._position if positioned else None
            limit = sa.bindparam("page_limit", type_=sa.Integer)
            stmt = self.keyset.slice(self._build(), position, reverse, limit)
            self._statements[reverse, positioned] = stmt
        return stmt


def keyset_page(
    source: sa.Select | PageQuery,
    keyset: Keyset,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """Fetch the page of ``source`` after (or before) a cursor, in ``keyset`` order.

    ``source`` is either a Select, which is cut with :meth:`Keyset.slice`, or a
    :data:`PageQuery` (a :class:`PreparedListing`'s, or one for a listing that needs a
    special shape to stay fast).

    A cursor with nothing beyond it (what followed was deleted since the link was made) gives
    the page at that end of the listing: an empty page would look like an empty listing.
    """
    if before:
        page = _page_backwards(source, keyset, keyset.decode(before), per_page)
        return page if page.items else _page_forwards(source, keyset, None, per_page)
    if after:
        page = _page_forwards(source, keyset, keyset.decode(after), per_page)
        return page if page.items else _page_backwards(source, keyset, None, per_page)
    return _page_forwards(source, keyset, None, per_page)


def _page_forwards(source, keyset: Keyset, position, per_page: int) -> Page:
    """The page after ``position`` (the first page if None)."""
    rows = _fetch(source, keyset, position, per_page, reverse=False)
    items = rows[:per_page]
    return Page(
        items=items,
        next_cursor=keyset.encode(items[-1]) if len(rows) > per_page else None,
        prev_cursor=keyset.encode(items[0]) if position is not None and items else None,
    )


def _page_backwards(source, keyset: Keyset, position, per_page: int) -> Page:
    """The page before ``position`` (the last page if None)."""
    rows = _fetch(source, keyset, position, per_page, reverse=True)
    items = list(reversed(rows[:per_page]))
    return Page(
        items=items,
        next_cursor=keyset.encode(items[-1]) if position is not None and items else None,
        prev_cursor=keyset.encode(items[0]) if len(rows) > per_page else None,
    )


def _fetch(source, keyset: Keyset, position, per_page: int, reverse: bool) -> list:
    # One row more than a page tells whether there is a next one.
    if isinstance(source, sa.Select):
        stmt, params = keyset.slice(source.order_by(None), position, reverse, per_page + 1), {}
    else:
        stmt, params = source(position, reverse, per_page + 1)
    return list(db.session.scalars(stmt, params).unique())


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
