"""followers: nobody follows themselves

Revision ID: ef8d04ab12b6
Revises: e0cc3253f139
Create Date: 2026-11-24 04:14:05.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "ef8d04ab12b6"
down_revision = "e0cc3253f139"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_followers_no_self_follow"


def upgrade():
    # SQLite can only add or drop a CHECK by rebuilding the table, hence recreate="always".
    # A self-follow means nothing (one's own posts are always on one's timeline): drop any
    # such row so the constraint can be added.
    op.execute(sa.text("DELETE FROM followers WHERE follower_id = followed_id"))
    with op.batch_alter_table("followers", recreate="always") as batch_op:
        batch_op.create_check_constraint(op.f(CONSTRAINT), "follower_id <> followed_id")


def downgrade():
    with op.batch_alter_table("followers", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f(CONSTRAINT), type_="check")
