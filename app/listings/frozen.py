"""Listing statements run as SQL text made once per statement, database and page size.

SQLAlchemy finds a statement's compiled form in its cache by the statement's cache key: a
tuple of everything in the statement, which Python hashes afresh at every lookup (a tuple
does not keep its hash). For a listing's page statement that hash, and the ORM's handling of
the rows, cost as much as SQLite takes to find the page's rows: 0.25 ms of a home page's 0.8
(L, SQLite). The text of the compiled statement has a key of a few short parts (a string
keeps its hash), and gives the same rows: the listing's columns, in their order, each read
with its own type.

Only statements that select one :class:`~app.listings.bundles.TupleBundle` are frozen (its
columns are the rows, its ``make`` the items); any other (ORM entities with their eager
loads, a bundle that builds its items in a ``create_row_processor`` of its own) runs through
the session as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import BindTyping, Dialect

from app.extensions import db
from app.listings.bundles import TupleBundle


class Frozen(NamedTuple):
    """A statement as SQL text: the values it takes, by name, and how a row becomes an item."""

    text: sa.TextualSelect
    names: tuple[str, ...]
    make: Callable[[Any], Any]


class CannotFreeze(ValueError):
    """A statement that has no text of its own (what it selects, or a parameter)."""


def frozen_bundle(statement: sa.Select) -> TupleBundle | None:
    """The :class:`TupleBundle` that is all ``statement`` selects, if its rows can be read
    from the text (None otherwise)."""
    described = statement.column_descriptions
    if len(described) != 1:
        return None
    bundle = described[0]["expr"]
    if not isinstance(bundle, TupleBundle):
        return None
    # A subclass that makes its items its own way would not be asked how.
    if type(bundle).create_row_processor is not TupleBundle.create_row_processor:
        return None
    return bundle


def _text_dialect(dialect: Dialect) -> Dialect:
    """A dialect of the same kind as ``dialect`` whose compiled SQL :func:`sa.text` reads:
    named parameters (``:name``) and no casts written after them (PostgreSQL's dialect writes
    ``::INTEGER`` after each by default: the text gets them when it is compiled in turn).

    Made fresh, not copied: a dialect that has compiled before keeps what it worked out of
    its settings. Nothing it learns from a server on connecting changes how a SELECT is
    written (tests/listings/test_frozen.py compares the rows on both databases).
    """
    named = type(dialect)(paramstyle="named")
    named.bind_typing = BindTyping.NONE
    return named


def freeze(
    statement: sa.Select, values: dict[str, Any], literal: Iterable[str], dialect: Dialect
) -> Frozen:
    """``statement`` as text for ``dialect``: the parameters named in ``literal`` (bound with
    ``literal_execute``) written in with their ``values``, the others parameters still, of
    their own types. Raises :class:`CannotFreeze` for what has no fixed text.

    Parameters given no value here are the statement's own constants, fixed by the statement
    itself (which :class:`FrozenStatements` keys by identity): a ``literal_execute`` one (a
    search's words) is written in with the value it holds, a list (``IN``) becomes one
    parameter per item, with its value.
    """
    bundle = frozen_bundle(statement)
    if bundle is None:
        raise CannotFreeze("the statement selects more than one TupleBundle")
    literal = tuple(literal)
    # With every value given (to write in those in ``literal``: the others stay parameters).
    compiled = statement.params(**values).compile(dialect=_text_dialect(dialect))
    expanded = compiled.construct_expanded_state()
    binds: dict[str, sa.BindParameter] = {}
    for bind, name in compiled.bind_names.items():
        given = name in values
        if bind.literal_execute:
            if given and name not in literal:
                # Given per page, its value would be written into a text kept for all pages.
                raise CannotFreeze(f"the literal parameter {name!r} is not in the key")
            if not given and bind.value is None:
                raise CannotFreeze(f"the literal parameter {name!r} has no value")
            continue  # written into the text
        if bind.callable is not None or (bind.expanding and given):
            raise CannotFreeze(f"the parameter {name!r} has no fixed text")
        if bind.expanding:
            # The statement's own list: a parameter per item, of the items' type.
            for item in expanded.parameter_expansion[name]:
                value = expanded.parameters[item]
                binds[item] = sa.bindparam(item, value, type_=bind.type)
            continue
        # Values given per page stay parameters; the statement's own constants (a literal
        # time, an OFFSET of 0) keep their values.
        binds[name] = sa.bindparam(name, None if given else bind.value, type_=bind.type)
    columns = [sa.column(f"col_{n}", expr.type) for n, expr in enumerate(bundle.exprs)]
    # Columns given in order: the rows are matched to them by position, not by name.
    text = sa.text(expanded.statement).bindparams(*binds.values()).columns(*columns)
    return Frozen(text, tuple(name for name in binds if name in values), bundle.make)


FROZEN_KEPT = 4096
"""How many statements' texts a process keeps (the oldest go first). Listings build a few
statements each, once; search keeps up to 512 listings of its own (app.search.query), and a
one-off listing (``select_pages``) a new statement per page: without a bound they would
stay for ever."""


class FrozenStatements:
    """Frozen statements made once per process: by statement (its identity: hashing it is
    what this saves), database and the values written into the text; at most ``size``."""

    def __init__(self, size: int = FROZEN_KEPT) -> None:
        self.size = size
        # The statement is kept with its text, so that its id is never another's.
        self._kept: dict[tuple, tuple[sa.Select, Frozen | None]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(
        self, statement: sa.Select, values: dict[str, Any], literal: tuple[str, ...], dialect
    ) -> Frozen | None:
        """``statement``'s :class:`Frozen` for ``dialect`` and the ``literal`` values among
        ``values``; None if it cannot be frozen (it is then run through the session)."""
        key = (id(statement), dialect.name, *(values[name] for name in literal))
        kept = self._kept.get(key)
        if kept is None:
            try:
                frozen = freeze(statement, values, literal, dialect)
            except CannotFreeze:
                frozen = None
            kept = (statement, frozen)
            with self._lock:
                while len(self._kept) >= self.size:
                    del self._kept[next(iter(self._kept))]
                self._kept[key] = kept
        return kept[1]


FROZEN = FrozenStatements()


def fetch_items(statement: sa.Select, values: dict[str, Any], literal: tuple[str, ...] = ()):
    """The items ``statement`` gives with ``values``, as ``db.session.scalars(statement,
    values).unique()`` gives them, read through its frozen text when it has one."""
    session = db.session
    if session.autoflush:
        session.flush()  # as running the statement through the session would
    connection = session.connection()
    frozen = FROZEN.get(statement, values, literal, connection.dialect)
    if frozen is None:
        return list(session.scalars(statement, values).unique())
    # All rows at once: iterating the result fetched them one by one, 0.03-0.07 ms more for
    # a page of 26 (L, SQLite).
    rows = connection.execute(frozen.text, {name: values[name] for name in frozen.names}).all()
    return list(dict.fromkeys(map(frozen.make, rows)))
