"""post_search: no parallel scans (PostgreSQL)

A search by relevance at S (post_search of about 1,000 pages, just over the size at which
PostgreSQL considers parallel scans) was planned as a parallel scan of the whole table with two
processes, 23-29 ms, instead of the GIN index, 3.4 ms (docs/performance.md, "Search: ids
first"). A search reads a page or a window of matches: on a server answering many requests at
once, a second process per query only takes CPU from the others. The storage parameter
``parallel_workers = 0`` keeps the planner from considering them for this table; nothing else
changes. SQLite has no such thing: nothing to do there.

Revision ID: c8d4f2a7e9b1
Revises: b5e8d2a41c07
Create Date: 2026-12-04 11:50:00.000000

"""

from alembic import op

revision = "c8d4f2a7e9b1"
down_revision = "b5e8d2a41c07"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE post_search SET (parallel_workers = 0)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE post_search RESET (parallel_workers)")
