"""likes: post_like, one row per person and post

Revision ID: 8e1f5a3c7b20
Revises: c4a9e2f7d318
Create Date: 2026-12-03 18:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "8e1f5a3c7b20"
down_revision = "c4a9e2f7d318"
branch_labels = None
depends_on = None


def upgrade():
    # A new table: no existing row changes. The key keeps a second like of a post by the same
    # person out; the indexes list a post's likers and a person's likes newest first.
    op.create_table(
        "post_like",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name="fk_post_like_post_id_post", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_post_like_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "post_id", name="pk_post_like"),
    )
    op.create_index(
        "ix_post_like_post_id_created_at", "post_like", ["post_id", "created_at", "user_id"]
    )
    op.create_index(
        "ix_post_like_user_id_created_at", "post_like", ["user_id", "created_at", "post_id"]
    )


def downgrade():
    # The likes go with the table; posts and accounts are untouched.
    op.drop_index("ix_post_like_user_id_created_at", table_name="post_like")
    op.drop_index("ix_post_like_post_id_created_at", table_name="post_like")
    op.drop_table("post_like")
