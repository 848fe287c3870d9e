"""user: the index of suspension times holds suspended accounts only

Pages now ask about each author, liker or person they show whether the account is suspended
(a probe of its row, app.models.user.suspended_at_of) instead of listing every suspended
account in each statement, and lists of people read ``suspended_at IS NULL`` from the row they
show. An index of every account's ``suspended_at`` tempted SQLite into walking it for that
condition (every account not suspended, then sorted by name); partial, it holds only what the
moderators' list of suspended accounts reads.

Revision ID: d8e2b6f1a4c9
Revises: c4f1a8e2d7b3
Create Date: 2026-12-06 14:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "d8e2b6f1a4c9"
down_revision = "c4f1a8e2d7b3"
branch_labels = None
depends_on = None

SUSPENDED = sa.text("suspended_at IS NOT NULL")


def upgrade():
    op.drop_index("ix_user_suspended_at", table_name="user")
    op.create_index(
        "ix_user_suspended_at",
        "user",
        ["suspended_at"],
        sqlite_where=SUSPENDED,
        postgresql_where=SUSPENDED,
    )


def downgrade():
    op.drop_index("ix_user_suspended_at", table_name="user")
    op.create_index("ix_user_suspended_at", "user", ["suspended_at"])
