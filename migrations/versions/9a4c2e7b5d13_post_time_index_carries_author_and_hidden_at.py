"""post time index carries user_id and hidden_at

Revision ID: 9a4c2e7b5d13
Revises: 7d3f0a6c1e2b
Create Date: 2026-11-26 04:00:00.000000

"""

from alembic import op

revision = "9a4c2e7b5d13"
down_revision = "7d3f0a6c1e2b"
branch_labels = None
depends_on = None


def upgrade():
    # The home timeline walks the newest posts in (timestamp, id) order and keeps those by
    # followed, visible authors: with user_id and hidden_at in the index it reads no table rows.
    # Explore and every other reader of (timestamp, id) use the longer index just as well, so
    # the old one goes.
    op.create_index(
        "ix_post_timestamp_id_user_id_hidden_at",
        "post",
        ["timestamp", "id", "user_id", "hidden_at"],
    )
    op.drop_index("ix_post_timestamp_id", table_name="post")


def downgrade():
    op.create_index("ix_post_timestamp_id", "post", ["timestamp", "id"])
    op.drop_index("ix_post_timestamp_id_user_id_hidden_at", table_name="post")
