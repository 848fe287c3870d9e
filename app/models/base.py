"""What the model modules share: writing rows that may already be there."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db


def insert_new(table: sa.Table | type[db.Model]):
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table``, spelled for the session's database:
    rows whose key is already there are left out, without an error."""
    dialect = db.session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(table).on_conflict_do_nothing()
