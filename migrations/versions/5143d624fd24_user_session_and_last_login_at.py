"""user_session: logins kept in the database; user.last_login_at

Each login becomes a row that the session and remember-me cookies name (with a secret whose hash
only is stored), so that logging out, a new password or a suspension ends it everywhere. Cookies
from before this migration named the account and a password fingerprint instead: they name no
session, so everybody logs in once more.

Revision ID: 5143d624fd24
Revises: 3f8a2d6c9b14
Create Date: 2026-12-03 15:10:16.162831

"""

import sqlalchemy as sa
from alembic import op

revision = "5143d624fd24"
down_revision = "3f8a2d6c9b14"
branch_labels = None
depends_on = None

# Aware UTC timestamps; the models wrap this type to refuse naive datetimes.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("renew", sa.Boolean(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_user_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"])
    op.create_index(op.f("ix_user_session_expires_at"), "user_session", ["expires_at"])
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("last_login_at", UTC_DATETIME, nullable=True))


def downgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("last_login_at")
    op.drop_index(op.f("ix_user_session_expires_at"), table_name="user_session")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
