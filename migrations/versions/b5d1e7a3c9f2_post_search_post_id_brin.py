"""post_search: a BRIN index of post_id (PostgreSQL), for a phrase's newest matches

A phrase's matches come from the pairs' GIN index, which hands them over in no order: every
match was read from the table to sort them, and a page's cost grew with the posts holding
the phrase (XL: 3,494 for a bench phrase, 6 ms of the server's CPU). A BRIN index of the ids
says which blocks hold the recent ones, so a phrase's page first reads only the matches among
the recent ids, a bitmap of the pairs' index ANDed with this one's (app.search.query
._recent_first; docs/performance.md, "Phrases: the recent ids first").

It indexes the ids as ``bigint``, which only that statement asks for: on the plain ids the
planner also ANDed it with the GIN indexes for other statements' bounds on the ids, lossy and
slower. Rows are appended in id order, so each range of 128 blocks holds a narrow range of
ids: the index is a summary per range (72 kB at XL, built in about 8 s there under load),
updated only when a new post lands in a range already summarised. Nothing on SQLite, whose
FTS5 index hands a phrase's matches over newest first.

Revision ID: b5d1e7a3c9f2
Revises: f3a7c2e9d4b6
Create Date: 2026-12-05 04:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b5d1e7a3c9f2"
down_revision = "f3a7c2e9d4b6"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_post_search_post_id_brin",
            "post_search",
            [sa.text("(post_id::bigint)")],
            postgresql_using="brin",
        )
        # An expression index's statistics come only from ANALYZE: until then the planner
        # guesses the ids' range matches a third of the table and never ANDs this index in
        # (bench XL phrase, 2026-12-05: 12.8 ms before, 4.6 ms after). A sample: seconds at XL.
        op.execute("ANALYZE post_search")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_post_search_post_id_brin", table_name="post_search")
