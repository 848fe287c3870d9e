"""post author index carries hidden_at

Revision ID: 7d3f0a6c1e2b
Revises: 4b7e1c9d2a10
Create Date: 2026-11-26 02:50:00.000000

"""

from alembic import op

revision = "7d3f0a6c1e2b"
down_revision = "4b7e1c9d2a10"
branch_labels = None
depends_on = None


def upgrade():
    # Every read of a user's posts applies the visibility rule, which needs hidden_at. In the
    # index, it is checked there: the home timeline's newest-post-per-followed-account step (2,000
    # index seeks for a heavy follower) and profile post counts no longer read table rows.
    op.create_index(
        "ix_post_user_id_timestamp_id_hidden_at",
        "post",
        ["user_id", "timestamp", "id", "hidden_at"],
    )
    op.drop_index("ix_post_user_id_timestamp_id", table_name="post")


def downgrade():
    op.create_index("ix_post_user_id_timestamp_id", "post", ["user_id", "timestamp", "id"])
    op.drop_index("ix_post_user_id_timestamp_id_hidden_at", table_name="post")
