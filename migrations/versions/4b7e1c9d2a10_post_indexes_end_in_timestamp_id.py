"""post indexes end in (timestamp, id), the pagination order

Revision ID: 4b7e1c9d2a10
Revises: 5c15ca187ab9
Create Date: 2026-11-26 01:40:00.000000

"""

from alembic import op

revision = "4b7e1c9d2a10"
down_revision = "5c15ca187ab9"
branch_labels = None
depends_on = None


def upgrade():
    # Explore reads (timestamp, id) backwards; profiles and the home timeline read
    # (user_id, timestamp, id) backwards per author. The old single-column indexes are prefixes
    # of these, so they go.
    op.create_index("ix_post_timestamp_id", "post", ["timestamp", "id"])
    op.create_index("ix_post_user_id_timestamp_id", "post", ["user_id", "timestamp", "id"])
    op.drop_index("ix_post_timestamp", table_name="post")
    op.drop_index("ix_post_user_id", table_name="post")


def downgrade():
    op.create_index("ix_post_user_id", "post", ["user_id"])
    op.create_index("ix_post_timestamp", "post", ["timestamp"])
    op.drop_index("ix_post_user_id_timestamp_id", table_name="post")
    op.drop_index("ix_post_timestamp_id", table_name="post")
