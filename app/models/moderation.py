"""Moderation records: reports on posts and the audit log.

The post and user models refer to these (hiding a post settles its reports); these refer to
them only by name, so this module imports neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.post import Post
    from app.models.user import User

REASON_MAX_LENGTH = 500


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


# What an audit entry calls its target, by the target's table: a username, the start of a post.
_TARGET_LABELS = {
    "user": lambda user: user.username,
    "post": lambda post: f"{post.author.username}: {post.body}",
    "report": lambda report: f"report on post {report.post_id}",
}


def record_action(
    actor: User | None, action: str, target: User | Post | Report, reason: str
) -> AuditLog:
    """Add an audit log entry for ``action`` on ``target`` (the caller commits)."""
    target_type = target.__tablename__
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_label=actor.username if actor else "command line",
        action=action,
        target_type=target_type,
        target_id=target.id,
        target_label=_TARGET_LABELS[target_type](target)[:64],
        reason=reason[:REASON_MAX_LENGTH],
    )
    db.session.add(entry)
    return entry
