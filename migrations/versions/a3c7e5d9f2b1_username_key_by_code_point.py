"""user: names are compared by code point on PostgreSQL too

The people search reads the names that start with the text as one range of the name index,
from the text to the text with its last character one further (app.listings.people). That
range holds exactly those names when names compare by code point, as SQLite compares them and
as a PostgreSQL database made with the "C" or "C.UTF-8" locale does; a database made with a
language's locale (en_US.UTF-8 ignores "_" at first) could leave some out. The column gets
the "C" collation on PostgreSQL (its unique index is rebuilt); nothing changes on SQLite.

Revision ID: a3c7e5d9f2b1
Revises: d8e2b6f1a4c9
Create Date: 2026-12-06 14:30:00.000000

"""

from alembic import op

revision = "a3c7e5d9f2b1"
down_revision = "d8e2b6f1a4c9"
branch_labels = None
depends_on = None


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f'ALTER TABLE "user" ALTER COLUMN username_key TYPE VARCHAR(32) COLLATE "{collation}"'
        )


def upgrade():
    _collate("C")


def downgrade():
    _collate("default")
