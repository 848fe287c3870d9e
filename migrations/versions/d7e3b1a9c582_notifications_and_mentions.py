"""notifications and mentions

``notification``: one row per follow, reply, mention or like someone is told about. ``mention``:
the accounts a post names, bound when it is written. On ``user``: the version of the owner's
notifications and how far they have read them, and which kinds they are shown and emailed.

Revision ID: d7e3b1a9c582
Revises: 8e1f5a3c7b20
Create Date: 2026-12-03 18:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "d7e3b1a9c582"
down_revision = "8e1f5a3c7b20"
branch_labels = None
depends_on = None

USER_COLUMNS = {
    "notifications_version": "0",
    "notifications_seen_version": "0",
    "notifications_read_id": "0",
    "notify_kinds": "15",
    "email_kinds": "0",
}


def upgrade():
    op.create_table(
        "mention",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_mention_post_id_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_mention_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "name_key", name=op.f("pk_mention")),
    )
    op.create_index("ix_mention_user_id", "mention", ["user_id"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("group_key", sa.String(length=40), nullable=True),
        sa.CheckConstraint("kind IN (1, 2, 4, 8)", name=op.f("ck_notification_known_kind")),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_notification_actor_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_notification_post_id_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index("ix_notification_user_id_id", "notification", ["user_id", "id"])
    op.create_index(
        "ix_notification_user_id_group_key_id", "notification", ["user_id", "group_key", "id"]
    )
    op.create_index("ix_notification_post_id_actor_id", "notification", ["post_id", "actor_id"])
    op.create_index("ix_notification_actor_id_user_id", "notification", ["actor_id", "user_id"])
    with op.batch_alter_table("user") as batch_op:
        for name, default in USER_COLUMNS.items():
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=default)
            )


def downgrade():
    # Notifications and mentions go with the tables; posts, follows and accounts stay.
    op.drop_table("notification")
    op.drop_table("mention")
    with op.batch_alter_table("user") as batch_op:
        for name in reversed(USER_COLUMNS):
            batch_op.drop_column(name)
