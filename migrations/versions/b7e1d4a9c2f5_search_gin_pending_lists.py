"""search indexes: GIN pending lists of 64 kB, not 4 MB (PostgreSQL)

GIN adds a new row's entries to a pending list that every search of the index reads whole, and
merges the list into the index when it passes ``gin_pending_list_limit`` (4 MB by default; the
INSERT that fills it pays) or at a vacuum or autovacuum's analyze. On a site the size of L
autovacuum comes to ``post_search`` every 100,000-200,000 posts, so the lists of its two GIN
indexes grew to their 4 MB (``post_search_recent``'s, analysed every 5,000 posts or so as its
rows come and go, to about 120 pages): a phrase no post holds read 404-429 buffers in
1.8-2.6 ms instead of 9 in 0.21, and every 20,000 posts or so one post paid a merge of
0.2-0.5 s. At 64 kB (the least PostgreSQL allows) a search reads at most 8 pages of list and
one post in about 200 pays a merge of about 25 ms; a post's median stays the same.
``fastupdate = off`` (no list) cost every post 0.37 ms more (docs/performance.md, "The search
index's pending lists"). The models make the indexes the same way
(app.models.search.GIN_STORAGE).

The upgrade also merges each list now, which would otherwise wait, up to 4 MB, for the next
vacuum or a post that fills it (at L a few tenths of a second per index). The downgrade puts
the server's limit back. SQLite has no GIN index: nothing to do there.

Revision ID: b7e1d4a9c2f5
Revises: e7a2c4f9b1d6
Create Date: 2026-12-06 04:00:00.000000

"""

from alembic import op

revision = "b7e1d4a9c2f5"
down_revision = "e7a2c4f9b1d6"
branch_labels = None
depends_on = None

INDEXES = ("ix_post_search_terms", "ix_post_search_pairs", "ix_post_search_recent_terms")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} SET (gin_pending_list_limit = 64)")
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")
