"""post search and hashtags

The full-text index of posts (post_search: each post's folded words; on SQLite the FTS5 table
post_search_fts over it, kept by triggers; on PostgreSQL a GIN index), hashtags (tag) and which
post has which (post_tag). Existing posts are indexed by the same code as "flask search
rebuild", so the index matches the tokenizer of the code that reads it.

Revision ID: d7e3b5a91c42
Revises: d7e3b1a9c582
Create Date: 2026-12-03 18:20:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.models.search import FTS5_CREATE, FTS5_DROP, FTS5_TRIGGERS, rebuild_index

revision = "d7e3b5a91c42"
down_revision = "d7e3b1a9c582"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.create_table(
        "post_search",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "terms", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name="fk_post_search_post_id_post", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name="pk_post_search"),
    )
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tag"),
        sa.UniqueConstraint("name", name="uq_tag_name"),
    )
    op.create_table(
        "post_tag",
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name="fk_post_tag_post_id_post", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name="fk_post_tag_tag_id_tag", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag_id", "post_id", name="pk_post_tag"),
    )
    op.create_index("ix_post_tag_post_id_tag_id", "post_tag", ["post_id", "tag_id"])
    if sqlite:
        for sql in [*FTS5_CREATE, *FTS5_TRIGGERS]:
            op.execute(sql)
    rebuild_index(bind)
    if not sqlite:
        # Built after the rows are in: one sort instead of an index update per row.
        op.create_index("ix_post_search_terms", "post_search", ["terms"], postgresql_using="gin")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for sql in FTS5_DROP:
            op.execute(sql)
    else:
        op.drop_index("ix_post_search_terms", table_name="post_search")
    op.drop_index("ix_post_tag_post_id_tag_id", table_name="post_tag")
    op.drop_table("post_tag")
    op.drop_table("tag")
    op.drop_table("post_search")
