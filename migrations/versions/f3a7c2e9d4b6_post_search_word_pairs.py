"""post_search: the pairs of neighbouring words, as lexemes of hashes (PostgreSQL)

A phrase search made the GIN index, which keeps no positions, intersect the lists of both words
and read every post holding both from the table to check that they are neighbours: at XL (10
million posts) "child reach" read 3,533 posts for the 2,590 that hold the phrase, and its cost
grew with the posts holding both words (docs/performance.md, "Phrases by their pairs"). The
app now writes, beside each post's words, a lexeme for each pair of neighbouring words ("~"
and 4 hex digits of the MD5 of "first second", without positions:
app.models.search.pair_lexeme) and a phrase asks for those too (app.search.query.tsquery).
This migration adds them to the posts already indexed, worked out from each tsvector's
positions with PostgreSQL's md5 (the same digits as Python's), so every post is found by the
new queries; the GIN index is dropped meanwhile and built again once (updated row by row it is
far slower).

Every row of ``post_search`` is rewritten (at L, a million posts, about two minutes on a busy
two-core machine): run ``VACUUM (ANALYZE) post_search`` afterwards. New posts must not be
written meanwhile by the previous release, whose rows would lack their pairs: migrate with
the app stopped, as for any release with a migration.

SQLite's FTS5 index keeps positions and finds phrases itself: nothing to do there.

Revision ID: f3a7c2e9d4b6
Revises: f2b7c4d9e1a3
Create Date: 2026-12-04 18:00:00.000000

"""

from alembic import op

revision = "f3a7c2e9d4b6"
down_revision = "f2b7c4d9e1a3"
branch_labels = None
depends_on = None

# The pairs of a row's words, from its lexemes' positions: a word at position n and the word
# at n + 1. Pair lexemes have no positions, so they never pair again (running the update twice
# changes nothing the second time).
ADD_PAIRS = """
UPDATE post_search SET terms = terms || array_to_tsvector(ARRAY(
    SELECT DISTINCT '~' || left(md5(first.lexeme || ' ' || second.lexeme), 4)
    FROM unnest(terms) AS first, unnest(first.positions) AS first_at,
         unnest(terms) AS second, unnest(second.positions) AS second_at
    WHERE second_at = first_at + 1
))
"""
REMOVE_PAIRS = """
UPDATE post_search SET terms = ts_delete(
    terms, ARRAY(SELECT lexeme FROM unnest(terms) WHERE left(lexeme, 1) = '~')
)
"""


def _rewrite(update: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_post_search_terms", table_name="post_search")
    op.execute(update)
    op.create_index("ix_post_search_terms", "post_search", ["terms"], postgresql_using="gin")


def upgrade():
    _rewrite(ADD_PAIRS)


def downgrade():
    _rewrite(REMOVE_PAIRS)
