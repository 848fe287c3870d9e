"""Moderation records: roles, reports on posts and the audit log, with their queries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.listings.keyset import Keyset, decode_time_id, encode_time_id
from app.models import Post, User, insert_new, user_roles
from app.models.types import UTCDateTime, utcnow

REASON_MAX_LENGTH = 500

# The roles there are, and the roles each one includes: an admin can do all a moderator can.
ROLE_INCLUDES = {
    "admin": frozenset({"admin", "moderator"}),
    "moderator": frozenset({"moderator"}),
}
ROLE_NAMES = tuple(ROLE_INCLUDES)


class Role(db.Model):
    """A named set of powers (see :data:`ROLE_INCLUDES`) granted to users via ``user_roles``."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


def ensure_roles() -> None:
    """Create the known roles that are missing (the migration seeds them; create_all does not)."""
    db.session.execute(insert_new(Role).values([{"name": name} for name in ROLE_NAMES]))


def role_named(name: str) -> Role:
    """The role called ``name``, created first if the database lacks it."""
    if name not in ROLE_NAMES:
        raise ValueError(f"There is no role called {name!r}.")
    role = db.session.scalar(sa.select(Role).where(Role.name == name))
    if role is None:
        ensure_roles()
        role = db.session.scalar(sa.select(Role).where(Role.name == name))
    return role


def staff_members() -> sa.Select[tuple[User]]:
    """Users holding any role, alphabetically."""
    with_a_role = sa.select(user_roles.c.user_id)
    return sa.select(User).where(User.id.in_(with_a_role)).order_by(User.username_key)


class Report(db.Model):
    """A user's complaint about a post, waiting in the moderation queue until resolved."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    # Reports outlive the reporter's account: the complaint still needs an answer.
    reporter_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    reason: so.Mapped[str] = so.mapped_column(sa.String(REASON_MAX_LENGTH))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    post: so.Mapped[Post] = so.relationship()
    reporter: so.Mapped[User | None] = so.relationship(foreign_keys=[reporter_id])

    __table_args__ = (
        # One open report per person and post; the queue reads open reports oldest first.
        sa.Index(
            "uq_report_open_post_id_reporter_id",
            "post_id",
            "reporter_id",
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        ),
        sa.Index("ix_report_resolved_at_created_at", "resolved_at", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<Report {self.id} on post {self.post_id}>"

    @property
    def is_open(self) -> bool:
        """True until a moderator deals with it."""
        return self.resolved_at is None

    def resolve(self, moderator: User) -> None:
        """Mark this report dealt with by ``moderator``."""
        self.resolved_at = utcnow()
        self.resolved_by_id = moderator.id


def open_report_by(post: Post, reporter: User) -> Report | None:
    """``reporter``'s unresolved report on ``post``, if any."""
    return db.session.scalar(
        sa.select(Report).where(
            Report.post_id == post.id,
            Report.reporter_id == reporter.id,
            Report.resolved_at.is_(None),
        )
    )


def open_reports_on(post: Post) -> sa.Select[tuple[Report]]:
    """Unresolved reports on ``post``, oldest first (shown to moderators on its page)."""
    return (
        sa.select(Report)
        .where(Report.post_id == post.id, Report.resolved_at.is_(None))
        .options(so.joinedload(Report.reporter))
        .order_by(Report.created_at, Report.id)
    )


def open_reports() -> sa.Select[tuple[Report]]:
    """The moderation queue: unresolved reports, oldest first."""
    return (
        sa.select(Report)
        .where(Report.resolved_at.is_(None))
        .options(so.joinedload(Report.post).joinedload(Post.author), so.joinedload(Report.reporter))
        .order_by(Report.created_at, Report.id)
    )


def suspended_users() -> sa.Select[tuple[User]]:
    """Suspended accounts, alphabetically (pages of them follow ``USERS_BY_NAME``), with their
    roles: whether a moderator may lift a suspension depends on them."""
    return (
        sa.select(User)
        .where(User.suspended_at.is_not(None))
        .options(so.selectinload(User.roles))
        .order_by(User.username_key)
    )


def resolve_reports(post: Post, moderator: User) -> None:
    """Settle every open report on ``post``."""
    db.session.execute(
        sa.update(Report)
        .where(Report.post_id == post.id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=moderator.id)
    )


class AuditLog(db.Model):
    """One moderation or administration action: who did what to what, when and why."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    # None: done from the command line, or by an account deleted since; hence also the label.
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    actor_label: so.Mapped[str] = so.mapped_column(sa.String(64))
    action: so.Mapped[str] = so.mapped_column(sa.String(32))
    target_type: so.Mapped[str] = so.mapped_column(sa.String(16))
    # No foreign key: the record must survive the post or account it is about.
    target_id: so.Mapped[int]
    # What the target was called at the time (a username, the start of a post).
    target_label: so.Mapped[str] = so.mapped_column(sa.String(64))
    reason: so.Mapped[str] = so.mapped_column(sa.String(REASON_MAX_LENGTH))

    # The account an entry is about, while it exists. Its page is found through this, not
    # through ``target_label``: after a rename, someone else may have the old name.
    target_user: so.Mapped[User | None] = so.relationship(
        primaryjoin="and_(AuditLog.target_type == 'user', foreign(AuditLog.target_id) == User.id)",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action}>"


def record_action(
    actor: User | None, action: str, target: User | Post | Report, reason: str
) -> AuditLog:
    """Add an audit log entry for ``action`` on ``target`` (the caller commits)."""
    if isinstance(target, User):
        target_type, label = "user", target.username
    elif isinstance(target, Post):
        target_type, label = "post", f"{target.author.username}: {target.body}"
    else:
        target_type, label = "report", f"report on post {target.post_id}"
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_label=actor.username if actor else "command line",
        action=action,
        target_type=target_type,
        target_id=target.id,
        target_label=label[:64],
        reason=reason[:REASON_MAX_LENGTH],
    )
    db.session.add(entry)
    return entry


def audit_entries() -> sa.Select[tuple[AuditLog]]:
    """The audit log, newest first, with the accounts the entries are about."""
    return (
        sa.select(AuditLog)
        .options(so.joinedload(AuditLog.target_user))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    )


REPORTS_OLDEST_FIRST = Keyset(
    columns=(Report.created_at, Report.id),
    descending=False,
    encode=lambda report: encode_time_id(report.created_at, report.id),
    decode=decode_time_id,
)

AUDIT_NEWEST_FIRST = Keyset(
    columns=(AuditLog.created_at, AuditLog.id),
    descending=True,
    encode=lambda entry: encode_time_id(entry.created_at, entry.id),
    decode=decode_time_id,
)
