"""post_search.pairs: each post's pairs of neighbouring words, with a GIN index (PostgreSQL)

A phrase search made the words' GIN index, which keeps no positions, intersect the lists of
all the phrase's words and read every post holding them from the table to check that they are
neighbours: at XL (10 million posts) "child reach" read 3,533 posts for the 2,590 that hold
the phrase, and its cost grew with the posts holding both words (docs/performance.md,
"Phrases by their pairs"). The app now writes, beside each post's words, the numbers of its
pairs of neighbouring words (the first 32 bits of the MD5 of "first second":
app.models.search.pair_hash) into ``pairs``, indexed by a GIN index of its own, and a phrase
looks its pairs up there (app.search.query.phrase_match).

This migration fills ``pairs`` for the posts already indexed, worked out from each tsvector's
positions with PostgreSQL's md5 (the same numbers as Python's), then builds the index (and
the words' again, dropped meanwhile: the rewrite would add every row to it one by one). Every
row of ``post_search`` is rewritten (docs/performance.md, "Phrases by their pairs onto main",
for the times at L and XL): run ``VACUUM (ANALYZE) post_search`` afterwards. Posts written
meanwhile by the previous release would have no pairs and no phrase would find them: migrate
with the app stopped, as for any release with a migration.

SQLite's FTS5 index keeps positions and finds phrases itself: the column is added there too
(the models are the same), always empty, without an index.

Revision ID: f3a7c2e9d4b6
Revises: 9d3f6b2a7c15
Create Date: 2026-12-04 23:40:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "f3a7c2e9d4b6"
down_revision = "9d3f6b2a7c15"
branch_labels = None
depends_on = None

# The pairs of a row's words from its lexemes' positions: the word at position n and the next
# one, in position order (lead), each pair's number once, ascending.
FILL_PAIRS = """
UPDATE post_search SET pairs = ARRAY(
    SELECT DISTINCT ('x' || left(md5(word || ' ' || next_word), 8))::bit(32)::integer
    FROM (
        SELECT lexeme AS word, place,
               lead(lexeme) OVER (ORDER BY place) AS next_word,
               lead(place) OVER (ORDER BY place) AS next_place
        FROM unnest(terms) AS words, unnest(words.positions) AS place
    ) AS placed
    WHERE next_place = place + 1
    ORDER BY 1
)
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    column_type = postgresql.ARRAY(sa.Integer()) if postgres else sa.Text()
    op.add_column("post_search", sa.Column("pairs", column_type, nullable=True))
    if postgres:
        # The words' index is made again after the rewrite: kept, it took each row's new
        # version one by one.
        op.drop_index("ix_post_search_terms", table_name="post_search")
        op.execute(FILL_PAIRS)
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
        op.create_index("ix_post_search_terms", "post_search", ["terms"], postgresql_using="gin")
        op.create_index("ix_post_search_pairs", "post_search", ["pairs"], postgresql_using="gin")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_post_search_pairs", table_name="post_search")
    # Not a batch: SQLite would make the table again, and its FTS5 triggers would go with it.
    op.execute("ALTER TABLE post_search DROP COLUMN pairs")
