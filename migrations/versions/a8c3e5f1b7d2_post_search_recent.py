"""post_search_recent: the newest 100,000 posts' words, with a GIN index of their own

A search by relevance ranks the newest 250 matches of its words. On PostgreSQL it found them
by walking ``post_search``'s key back from the newest post, reading every row on the way: for
a word in 0.6% of recent posts, 28,649 rows and 3.7 ms at L and XL, most of the page's
statement (docs/performance.md, "Word searches and 'most relevant' on PostgreSQL"). This
table holds the words of the newest posts again, so that the window comes from its own GIN
index (a bitmap over at most 100,000 posts) and a sort (app.search.query).

Triggers on ``post_search`` keep it (app.models.search): a new row is copied here unless it
is below the lowest id here, and the table is trimmed to the newest 100,000 ids when a post
whose id is a multiple of 1,000 is indexed; a deleted post's row goes through the foreign
key. The upgrade fills it from the newest rows in one statement (XL: about 2 s).

On SQLite the table is made too (the models are the same) and stays empty, without triggers
or the GIN index: FTS5 finds the window there.

Revision ID: a8c3e5f1b7d2
Revises: b5d1e7a3c9f2
Create Date: 2026-12-05 04:30:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a8c3e5f1b7d2"
down_revision = "b5d1e7a3c9f2"
branch_labels = None
depends_on = None

# As app.models.search writes them at this revision (RECENT_POSTS = 100,000, trimmed every
# 1,000 posts).
KEEP_FUNCTION = """
CREATE OR REPLACE FUNCTION post_search_recent_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE post_search_recent SET terms = NEW.terms WHERE post_id = NEW.post_id;
        RETURN NULL;
    END IF;
    -- Below the lowest id kept (an old post's edit writes its row again) it would leave a
    -- gap: the posts between it and the others are not here. Searches read those from
    -- post_search.
    IF NEW.post_id >= coalesce((SELECT min(post_id) FROM post_search_recent), 0) THEN
        INSERT INTO post_search_recent (post_id, terms) VALUES (NEW.post_id, NEW.terms);
    END IF;
    IF mod(NEW.post_id, 1000) = 0 THEN
        DELETE FROM post_search_recent WHERE post_id <= NEW.post_id - 100000;
    END IF;
    RETURN NULL;
END
$$"""
TRIGGERS = {
    "post_search_recent_ai": "AFTER INSERT ON post_search FOR EACH ROW "
    "EXECUTE FUNCTION post_search_recent_keep()",
    "post_search_recent_au": "AFTER UPDATE OF terms ON post_search FOR EACH ROW "
    "EXECUTE FUNCTION post_search_recent_keep()",
}
FILL = """
INSERT INTO post_search_recent (post_id, terms)
SELECT post_id, terms FROM post_search
WHERE post_id > (SELECT max(post_id) FROM post_search) - 100000"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "post_search_recent",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terms", postgresql.TSVECTOR() if postgres else sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post_search.post_id"],
            name=op.f("fk_post_search_recent_post_id_post_search"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_search_recent")),
        postgresql_with={"parallel_workers": 0},
    )
    if postgres:
        # No post may be indexed between the fill and the triggers.
        op.execute("LOCK TABLE post_search IN SHARE MODE")
        op.execute(FILL)
        op.create_index(
            "ix_post_search_recent_terms", "post_search_recent", ["terms"], postgresql_using="gin"
        )
        op.execute(KEEP_FUNCTION)
        for name, sql in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {sql}")
        # Statistics for the new table now, not at autovacuum's next visit: the window's plan
        # depends on how many rows it holds.
        op.execute("ANALYZE post_search_recent")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON post_search")
        op.execute("DROP FUNCTION IF EXISTS post_search_recent_keep()")
        op.drop_index("ix_post_search_recent_terms", table_name="post_search_recent")
    op.drop_table("post_search_recent")
