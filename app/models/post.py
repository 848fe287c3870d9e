"""Posts: short messages, which their authors edit and moderators hide."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.moderation import resolve_reports
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User

POST_MAX_LENGTH = 140


class Post(db.Model):
    """A short message."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    body: so.Mapped[str] = so.mapped_column(sa.String(POST_MAX_LENGTH))
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # The author's last edit; ``timestamp`` keeps the time it was first posted.
    edited_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set when a moderator hides the post: only its author (and moderators) still see it.
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    hidden_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    author: so.Mapped[User] = so.relationship(back_populates="posts", foreign_keys=[user_id])
    hidden_by: so.Mapped[User | None] = so.relationship(foreign_keys=[hidden_by_id])

    __table_args__ = (
        # Both hold the pagination order (timestamp, id), so a page is one index range read
        # newest first, with no sort: explore and the home timeline's recent window use the
        # first, profiles and the timeline's by-author path the second (it also serves the
        # foreign key when a user is deleted). The trailing columns let the visibility rule
        # (and, in the first, whether the author is followed) be checked in the index: the
        # home timeline, and profile post counts, read no table rows until the page is found.
        sa.Index(
            "ix_post_timestamp_id_user_id_hidden_at", "timestamp", "id", "user_id", "hidden_at"
        ),
        sa.Index(
            "ix_post_user_id_timestamp_id_hidden_at", "user_id", "timestamp", "id", "hidden_at"
        ),
        # Deleting an account sets hidden_by_id to NULL where it points to it; this keeps that
        # from scanning every post, while staying tiny (only hidden posts are in it).
        sa.Index(
            "ix_post_hidden_by_id",
            "hidden_by_id",
            sqlite_where=sa.text("hidden_by_id IS NOT NULL"),
            postgresql_where=sa.text("hidden_by_id IS NOT NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"

    @property
    def is_hidden(self) -> bool:
        """True while a moderator has hidden this post."""
        return self.hidden_at is not None

    def is_visible_to(self, viewer: User) -> bool:
        """Whether ``viewer`` (maybe anonymous) may open this post; author and moderators may."""
        if getattr(viewer, "id", None) == self.user_id or viewer.has_role("moderator"):
            return True
        return not self.is_hidden and not self.author.is_suspended

    def edit(self, body: str) -> bool:
        """Replace the text, marking the post edited; returns False if nothing changed."""
        if body == self.body:
            return False
        self.body = body
        self.edited_at = utcnow()
        return True

    def hide(self, moderator: User) -> None:
        """Hide the post from everyone but its author; its open reports are thereby settled."""
        self.hidden_at = utcnow()
        self.hidden_by = moderator
        resolve_reports(self, moderator)

    def unhide(self) -> None:
        """Show the post to everyone again."""
        self.hidden_at = None
        self.hidden_by = None
