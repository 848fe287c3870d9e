"""replies and threads

A post may answer another: in_reply_to_id, in_reply_to_user_id and thread_path (the reading
order of its conversation). The two listing indexes carry in_reply_to_user_id; post ids are
never reused on SQLite any more (AUTOINCREMENT), since replies keep pointing at deleted posts.

Revision ID: c4a9e2f7d318
Revises: 5143d624fd24
Create Date: 2026-12-03 16:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "c4a9e2f7d318"
down_revision = "5143d624fd24"
branch_labels = None
depends_on = None

OLD_INDEXES = {
    "ix_post_timestamp_id_user_id_hidden_at": ["timestamp", "id", "user_id", "hidden_at"],
    "ix_post_user_id_timestamp_id_hidden_at": ["user_id", "timestamp", "id", "hidden_at"],
}
IS_REPLY = sa.text("in_reply_to_id IS NOT NULL")


def _recreate() -> str:
    # AUTOINCREMENT is part of a SQLite table's definition: only a rebuild adds or removes it.
    # Elsewhere the columns are simply added.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade():
    with op.batch_alter_table(
        "post", recreate=_recreate(), table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("in_reply_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("in_reply_to_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("thread_path", sa.LargeBinary(), nullable=True))
        for name, columns in OLD_INDEXES.items():
            batch_op.create_index(f"{name}_in_reply_to_user_id", [*columns, "in_reply_to_user_id"])
            batch_op.drop_index(name)
        batch_op.create_index("ix_post_thread_path", ["thread_path"], unique=True)
        batch_op.create_index(
            "ix_post_in_reply_to_id_hidden_at_user_id",
            ["in_reply_to_id", "hidden_at", "user_id"],
            sqlite_where=IS_REPLY,
            postgresql_where=IS_REPLY,
        )


def downgrade():
    # Replies become posts that answer nothing: their text stays, where they belonged goes.
    with op.batch_alter_table(
        "post", recreate=_recreate(), table_kwargs={"sqlite_autoincrement": False}
    ) as batch_op:
        batch_op.drop_index("ix_post_in_reply_to_id_hidden_at_user_id")
        batch_op.drop_index("ix_post_thread_path")
        for name, columns in OLD_INDEXES.items():
            batch_op.create_index(name, columns)
            batch_op.drop_index(f"{name}_in_reply_to_user_id")
        batch_op.drop_column("thread_path")
        batch_op.drop_column("in_reply_to_user_id")
        batch_op.drop_column("in_reply_to_id")
