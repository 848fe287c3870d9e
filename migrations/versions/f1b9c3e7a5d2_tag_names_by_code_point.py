"""tag: names are compared by code point on PostgreSQL too

The tag search reads the tags whose name starts with the text as one range of the name index
(app.search.tags), as the people search reads names (a3c7e5d9f2b1): the column gets the "C"
collation on PostgreSQL (its unique index is rebuilt); nothing changes on SQLite.

Revision ID: f1b9c3e7a5d2
Revises: a3c7e5d9f2b1
Create Date: 2026-12-06 14:25:00.000000

"""

from alembic import op

revision = "f1b9c3e7a5d2"
down_revision = "a3c7e5d9f2b1"
branch_labels = None
depends_on = None


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE tag ALTER COLUMN name TYPE VARCHAR(64) COLLATE "{collation}"')


def upgrade():
    _collate("C")


def downgrade():
    _collate("default")
