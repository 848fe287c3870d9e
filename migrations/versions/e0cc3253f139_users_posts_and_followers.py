"""users, posts and followers

Revision ID: e0cc3253f139
Revises:
Create Date: 2026-11-24 03:34:22.496387

"""

import sqlalchemy as sa
from alembic import op

revision = "e0cc3253f139"
down_revision = None
branch_labels = None
depends_on = None

# Aware UTC timestamps; the models wrap this type to refuse naive datetimes.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("username_key", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("about_me", sa.String(length=140), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
        sa.UniqueConstraint("username_key", name=op.f("uq_user_username_key")),
    )
    op.create_table(
        "followers",
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followed_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followed_id"],
            ["user.id"],
            name=op.f("fk_followers_followed_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["user.id"],
            name=op.f("fk_followers_follower_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("follower_id", "followed_id", name=op.f("pk_followers")),
    )
    op.create_index(
        "ix_followers_followed_id_follower_id", "followers", ["followed_id", "follower_id"]
    )
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=140), nullable=False),
        sa.Column("timestamp", UTC_DATETIME, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_post_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    op.create_index(op.f("ix_post_timestamp"), "post", ["timestamp"])
    op.create_index(op.f("ix_post_user_id"), "post", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_post_user_id"), table_name="post")
    op.drop_index(op.f("ix_post_timestamp"), table_name="post")
    op.drop_table("post")
    op.drop_index("ix_followers_followed_id_follower_id", table_name="followers")
    op.drop_table("followers")
    op.drop_table("user")
