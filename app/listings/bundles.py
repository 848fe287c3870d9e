"""Columns selected as one small NamedTuple: listings read these instead of ORM objects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy.orm as so


class TupleBundle(so.Bundle):
    """Selects ``columns`` as one value of ``tuple_type``: ``db.session.scalars()`` gives those.

    ``tuple_type`` is a NamedTuple whose fields are the columns, in the same order, unless
    ``make`` builds the value from the row's values another way (a card and more). Making a
    plain tuple per row costs a fraction of loading ORM objects, which matters for listings.
    """

    def __init__(
        self,
        tuple_type: type[tuple],
        *columns: Any,
        make: Callable[[Sequence[Any]], Any] | None = None,
    ) -> None:
        super().__init__(tuple_type.__name__, *columns, single_entity=True)
        self.tuple_type = tuple_type
        self.make = make or tuple_type._make
        """The value of one row, from its values in the order of ``columns`` (a listing's
        frozen text, app.listings.frozen, reads its rows with this too)."""

    def create_row_processor(self, query, procs, labels):
        """Build one value per row with :attr:`make` (SQLAlchemy's hook)."""
        make = self.make

        def value(row):
            return make([proc(row) for proc in procs])

        return value
