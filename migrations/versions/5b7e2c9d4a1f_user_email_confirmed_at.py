"""user: email_confirmed_at

Revision ID: 5b7e2c9d4a1f
Revises: ef8d04ab12b6
Create Date: 2026-11-26 01:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "5b7e2c9d4a1f"
down_revision = "ef8d04ab12b6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True)))
    # Accounts made before confirmation existed keep posting: they count as confirmed since the
    # day they registered. Only new registrations (and changed addresses) must confirm.
    user = sa.table("user", sa.column("created_at"), sa.column("email_confirmed_at"))
    op.execute(user.update().values(email_confirmed_at=user.c.created_at))


def downgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("email_confirmed_at")
