"""Columns selected as one small NamedTuple: listings read these instead of ORM objects."""

from __future__ import annotations

from typing import Any

import sqlalchemy.orm as so


class TupleBundle(so.Bundle):
    """Selects ``columns`` as one value of ``tuple_type``: ``db.session.scalars()`` gives those.

    ``tuple_type`` is a NamedTuple whose fields are the columns, in the same order. Making a
    plain tuple per row costs a fraction of loading ORM objects, which matters for listings.
    """

    def __init__(self, tuple_type: type[tuple], *columns: Any) -> None:
        super().__init__(tuple_type.__name__, *columns, single_entity=True)
        self.tuple_type = tuple_type

    def create_row_processor(self, query, procs, labels):
        """Build one ``tuple_type`` per row (SQLAlchemy's hook)."""
        make = self.tuple_type._make

        def value(row):
            return make([proc(row) for proc in procs])

        return value
