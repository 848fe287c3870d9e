"""What the model modules share: how often activity is written, and writing rows that may
already be there."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db

# Accounts and their login sessions note when they were last active at most this often, so
# ordinary page views stay read-only.
LAST_SEEN_INTERVAL = timedelta(minutes=1)


def insert_new(table: sa.Table | type[db.Model]):
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table``, spelled for the session's database:
    rows whose key is already there are left out, without an error."""
    dialect = db.session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(table).on_conflict_do_nothing()
