"""post_search_recent.word_count: each recent post's number of words, stored

A search by relevance scores its window of the 250 newest matches by the share of each post's
words that are searched words. On PostgreSQL the number of words was counted per search from
each post's tsvector (its lexemes with positions plus the commas of its text, one cast to text
per post): 0.6 of the 5.4 ms of the page's statement at L (docs/performance.md, "Most
relevant: each recent post's word count stored"). This generated column counts them once,
when the row is written; every writer (the triggers on post_search, a refill) gets it without
a change.

Adding a stored generated column rewrites the table and its GIN index (100,000 rows at most:
a few seconds at L and XL, during which indexing a new post waits). On SQLite the table stays
empty; it gets the column with SQLite's count of the words joined by spaces.

Revision ID: c4e9a2d7f1b3
Revises: a8c3e5f1b7d2
Create Date: 2026-12-05 08:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "c4e9a2d7f1b3"
down_revision = "a8c3e5f1b7d2"
branch_labels = None
depends_on = None

# As app.models.search writes them at this revision (WORD_COUNT).
WORD_COUNT = {
    "postgresql": "length(ts_filter(terms, '{a,b,c,d}')) "
    "+ array_length(string_to_array(terms::text, ','), 1) - 1",
    "sqlite": "CASE WHEN terms = '' THEN NULL "
    "ELSE length(terms) - length(replace(terms, ' ', '')) + 1 END",
}


def _column(dialect: str) -> sa.Column:
    return sa.Column(
        "word_count", sa.Integer(), sa.Computed(sa.text(WORD_COUNT[dialect]), persisted=True)
    )


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.add_column("post_search_recent", _column(dialect))
        # Statistics now, not at autovacuum's next visit (the rewrite reset them).
        op.execute("ANALYZE post_search_recent")
    else:
        # SQLite cannot add a stored generated column in place: the (empty) table is made again.
        with op.batch_alter_table("post_search_recent", recreate="always") as batch_op:
            batch_op.add_column(_column(dialect))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("post_search_recent", "word_count")
    else:
        with op.batch_alter_table("post_search_recent", recreate="always") as batch_op:
            batch_op.drop_column("word_count")
