"""roles, moderation and post editing

Roles (seeded with admin and moderator) granted through user_roles; reports and the audit log;
edited/hidden state on posts; suspended/disabled state on users.

Revision ID: 5c15ca187ab9
Revises: 5b7e2c9d4a1f
Create Date: 2026-11-26 01:23:56.039588

"""

import sqlalchemy as sa
from alembic import op

revision = "5c15ca187ab9"
down_revision = "5b7e2c9d4a1f"
branch_labels = None
depends_on = None

# Aware UTC timestamps; the models wrap this type to refuse naive datetimes.
UTC_DATETIME = sa.DateTime(timezone=True)
SEEDED_ROLES = ("admin", "moderator")
OPEN_REPORT = sa.text("resolved_at IS NULL")
HIDDEN_BY_SOMEONE = sa.text("hidden_by_id IS NOT NULL")


def upgrade():
    role = op.create_table(
        "role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role")),
        sa.UniqueConstraint("name", name=op.f("uq_role_name")),
    )
    op.bulk_insert(role, [{"name": name} for name in SEEDED_ROLES])

    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"], ["role.id"], name=op.f("fk_user_roles_role_id_role"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_roles_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_index("ix_user_roles_role_id_user_id", "user_roles", ["role_id", "user_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("target_label", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_audit_log_actor_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"])
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"])

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_report_post_id_post"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["user.id"],
            name=op.f("fk_report_reporter_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user.id"],
            name=op.f("fk_report_resolved_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )
    op.create_index(op.f("ix_report_post_id"), "report", ["post_id"])
    op.create_index("ix_report_resolved_at_created_at", "report", ["resolved_at", "created_at"])
    # A partial unique index: one *open* report per person and post.
    op.create_index(
        "uq_report_open_post_id_reporter_id",
        "report",
        ["post_id", "reporter_id"],
        unique=True,
        sqlite_where=OPEN_REPORT,
        postgresql_where=OPEN_REPORT,
    )

    # Nullable columns: existing rows need no value, and PostgreSQL adds them without a rewrite.
    with op.batch_alter_table("post") as batch_op:
        batch_op.add_column(sa.Column("edited_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("hidden_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("hidden_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_post_hidden_by_id_user"), "user", ["hidden_by_id"], ["id"], ondelete="SET NULL"
        )
        # Partial: only hidden posts are indexed, for ON DELETE SET NULL when an account goes.
        batch_op.create_index(
            "ix_post_hidden_by_id",
            ["hidden_by_id"],
            sqlite_where=HIDDEN_BY_SOMEONE,
            postgresql_where=HIDDEN_BY_SOMEONE,
        )

    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(sa.Column("suspended_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("disabled_at", UTC_DATETIME, nullable=True))
        batch_op.create_index(op.f("ix_user_suspended_at"), ["suspended_at"])


def downgrade():
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_index(op.f("ix_user_suspended_at"))
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("suspended_at")

    with op.batch_alter_table("post") as batch_op:
        batch_op.drop_index("ix_post_hidden_by_id")
        batch_op.drop_constraint(op.f("fk_post_hidden_by_id_user"), type_="foreignkey")
        batch_op.drop_column("hidden_by_id")
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("edited_at")

    op.drop_index("uq_report_open_post_id_reporter_id", table_name="report")
    op.drop_index("ix_report_resolved_at_created_at", table_name="report")
    op.drop_index(op.f("ix_report_post_id"), table_name="report")
    op.drop_table("report")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_user_roles_role_id_user_id", table_name="user_roles")
    op.drop_table("user_roles")
    op.drop_table("role")
