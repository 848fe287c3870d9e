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

A frozen text runs on the session's DBAPI connection itself (:class:`DriverText`): its SQL,
how the page's values become the driver's parameters and how each column's values are read
are worked out once per text, as SQLAlchemy works them out on every execution (its execution
context, bind and result processors, result object). Those cost the home page 0.4-0.7 ms
(L, SQLite) over running the same text on the cursor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import BindTyping, Dialect

from app.extensions import db
from app.listings.bundles import TupleBundle
from app.web.bounded import keep


class DriverText:
    """A frozen text as its database driver runs it: the SQL, the driver's parameters from a
    page's values, and an item from each row the driver gives.

    What SQLAlchemy works out on every execution of the text (the parameters' order and bind
    processors, each column's result processor), worked out once. The result processors are
    the types' own, chosen by the type codes the driver describes the columns with, as
    SQLAlchemy chooses them: on the first execution (the text's columns always have the same
    types).
    """

    __slots__ = ("_constants", "_given", "_make", "_order", "_read", "_types", "sql")

    def __init__(
        self, compiled: sa.engine.Compiled, given: Iterable[str], types: Sequence, make
    ) -> None:
        dialect = compiled.dialect
        self.sql: str = compiled.string
        binds = compiled.binds
        given = set(given)
        # The page's values, each with its type's bind processor (None: sent as it is).
        self._given = tuple((name, _bind_processor(binds[name], dialect)) for name in given)
        constants = {}
        for name, bind in binds.items():
            if name not in given:
                process = _bind_processor(bind, dialect)
                constants[name] = bind.value if process is None else process(bind.value)
        self._constants = constants
        # Positional drivers (SQLite's qmark) take a tuple, in the order the text names them
        # (a name used twice is sent twice); the others a dict.
        self._order: Callable[[dict], tuple] | None = None
        if compiled.positional:
            order = tuple(compiled.positiontup)
            # itemgetter of one name gives a value, not a tuple of one.
            self._order = itemgetter(*order) if len(order) > 1 else _tuple_getter(order)
        self._types = tuple(types)
        self._make = make
        self._read: Callable[[list], list] | None = None

    def parameters(self, values: dict[str, Any]) -> dict[str, Any] | tuple:
        """The driver's parameters for a page's ``values``."""
        sent = dict(self._constants)
        for name, process in self._given:
            value = values[name]
            sent[name] = value if process is None else process(value)
        if self._order is None:
            return sent
        return self._order(sent)

    def reader(self, cursor, dialect: Dialect) -> Callable[[list], list]:
        """What makes the items of the rows ``cursor`` (executed with this text) gives: made
        on the first execution, from the types the cursor describes (psycopg makes its
        description afresh each time it is asked: about 0.03 ms a page of 14 columns)."""
        read = self._read
        if read is None:
            read = self._read = self._reader(cursor.description, dialect)
        return read

    def _reader(self, description: Sequence, dialect: Dialect) -> Callable[[list], list]:
        processors = tuple(
            (n, process)
            for n, (type_, column) in enumerate(zip(self._types, description, strict=True))
            if (process := type_.dialect_impl(dialect).result_processor(dialect, column[1]))
            is not None
        )
        make = self._make
        if not processors:
            return lambda rows: [make(row) for row in rows]

        def read(rows: list) -> list:
            # A NULL is None through every type these listings select: only values are
            # processed (of a card's four times, usually one is not NULL).
            items = []
            for row in rows:
                values = list(row)
                for n, process in processors:
                    value = values[n]
                    if value is not None:
                        values[n] = process(value)
                items.append(make(values))
            return items

        return read


def _bind_processor(bind: sa.BindParameter, dialect: Dialect) -> Callable | None:
    return bind.type.dialect_impl(dialect).bind_processor(dialect)


def _tuple_getter(names: tuple[str, ...]) -> Callable[[dict], tuple]:
    return lambda sent: tuple(sent[name] for name in names)


class Frozen(NamedTuple):
    """A statement as SQL text: the values it takes, by name, and how a row becomes an item;
    ``driver``, the text as the database's driver runs it (None: through SQLAlchemy)."""

    text: sa.TextualSelect
    names: tuple[str, ...]
    make: Callable[[Any], Any]
    driver: DriverText | None = None


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
    names = tuple(name for name in binds if name in values)
    return Frozen(text, names, bundle.make, _driver_text(text, names, columns, bundle, dialect))


def _driver_text(
    text: sa.TextualSelect, names: tuple[str, ...], columns: list, bundle, dialect: Dialect
) -> DriverText | None:
    """``text`` compiled for ``dialect`` as SQLAlchemy would send it to the driver; None if
    sending it needs more than its string and parameters (names the driver's style must
    escape, values worked out at execution)."""
    compiled = text.compile(dialect=dialect)
    if compiled.escaped_bind_names or compiled.post_compile_params or compiled.has_out_parameters:
        return None
    if any(bind.callable is not None for bind in compiled.binds.values()):
        return None
    return DriverText(compiled, names, [column.type for column in columns], bundle.make)


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
            kept = keep(self._kept, self._lock, key, (statement, frozen), self.size)
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
    driver = frozen.driver
    if driver is None:
        # All rows at once: iterating the result fetched them one by one, 0.03-0.07 ms more
        # for a page of 26 (L, SQLite).
        rows = connection.execute(frozen.text, {name: values[name] for name in frozen.names})
        return list(dict.fromkeys(map(frozen.make, rows.all())))
    return list(dict.fromkeys(_run_on_driver(connection, driver, values)))


def _run_on_driver(connection: sa.Connection, driver: DriverText, values: dict[str, Any]) -> list:
    """The items of ``driver``'s text with ``values``, run on ``connection``'s DBAPI
    connection (in its transaction, as SQLAlchemy would run it).

    The engine's cursor events are sent as SQLAlchemy sends them, without an execution
    context (statement counters and recorders see the statement; nothing here rewrites
    statements, so what a listener returns is not used), and the driver's errors become
    SQLAlchemy's (wrapped, a lost connection invalidated) through the connection's own
    handler, as they would through ``connection.execute``.
    """
    sql, parameters = driver.sql, driver.parameters(values)
    dispatch = connection.dispatch
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        for listener in dispatch.before_cursor_execute:
            listener(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        for listener in dispatch.after_cursor_execute:
            listener(connection, cursor, sql, parameters, None, False)
        rows, read = cursor.fetchall(), driver.reader(cursor, connection.dialect)
    except connection.dialect.loaded_dbapi.Error as error:
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
    finally:
        cursor.close()
    return read(rows)
