"""followers: created_at, and indexes that list follows newest first

Revision ID: 3f8a2d6c9b14
Revises: 9a4c2e7b5d13
Create Date: 2026-11-26 08:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "3f8a2d6c9b14"
down_revision = "9a4c2e7b5d13"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("followers") as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True)))
    # When an existing follow began is unknown; it cannot be before both accounts existed, so
    # the later of their creation times stands in (it keeps lists in a plausible order).
    user = sa.table("user", sa.column("id"), sa.column("created_at"))
    followers = sa.table(
        "followers", sa.column("follower_id"), sa.column("followed_id"), sa.column("created_at")
    )
    both_exist = (
        sa.select(sa.func.max(user.c.created_at))
        .where(user.c.id.in_([followers.c.follower_id, followers.c.followed_id]))
        .scalar_subquery()
    )
    op.execute(followers.update().values(created_at=both_exist))
    with op.batch_alter_table("followers") as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_followers_followed_id_created_at", ["followed_id", "created_at", "follower_id"]
        )
        batch_op.create_index(
            "ix_followers_follower_id_created_at", ["follower_id", "created_at", "followed_id"]
        )
        # Its work (who follows X, how many) is the new followed_id index's.
        batch_op.drop_index("ix_followers_followed_id_follower_id")


def downgrade():
    with op.batch_alter_table("followers") as batch_op:
        batch_op.create_index(
            "ix_followers_followed_id_follower_id", ["followed_id", "follower_id"]
        )
        batch_op.drop_index("ix_followers_follower_id_created_at")
        batch_op.drop_index("ix_followers_followed_id_created_at")
        batch_op.drop_column("created_at")
