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
MAX_THREAD_DEPTH = 200
"""How deep a chain of replies may go: a reply's ``thread_path`` grows by 4 bytes a level, and
an index entry must stay well under PostgreSQL's limit (about 2,700 bytes)."""

_ID_BYTES = 4  # ids are at most MAX_ID (2**31 - 1): four bytes, big-endian, sort as numbers


def path_segment(post_id: int) -> bytes:
    """The piece of a ``thread_path`` that stands for ``post_id``."""
    return post_id.to_bytes(_ID_BYTES, "big")


def path_ids(path: bytes) -> list[int]:
    """The post ids a ``thread_path`` is made of, root first."""
    return [int.from_bytes(path[n : n + _ID_BYTES], "big") for n in range(0, len(path), _ID_BYTES)]


def descendants_bound(path: bytes) -> bytes:
    """Above every ``thread_path`` that starts with ``path``: a segment's first byte is below
    0x80, so the descendants of a post are the paths between its own and this."""
    return path + b"\x80"


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

    # Replies. No foreign keys on purpose: a reply outlives the post it answers (and that post's
    # author's account), and still says where it belonged, so the thread can show "deleted" in
    # its place. Ids are never reused (AUTOINCREMENT on SQLite), so they cannot come to name
    # another post.
    in_reply_to_id: so.Mapped[int | None] = so.mapped_column()
    # The author of the post answered, copied when replying: the home timeline's rule for
    # replies needs it for every candidate post, read from the index without a join.
    in_reply_to_user_id: so.Mapped[int | None] = so.mapped_column()
    # The ids of the conversation's root, the posts in between and this reply (4 bytes each,
    # big-endian); None for a post that answers nothing (its path is its own id, see
    # :attr:`full_path`). Sorting by it lists a thread in reading order: every post followed
    # by its replies, depth first, oldest reply first, so a page of a thread is one range of
    # its index however large the thread.
    thread_path: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)

    author: so.Mapped[User] = so.relationship(back_populates="posts", foreign_keys=[user_id])
    hidden_by: so.Mapped[User | None] = so.relationship(foreign_keys=[hidden_by_id])

    __table_args__ = (
        # Both hold the pagination order (timestamp, id), so a page is one index range read
        # newest first, with no sort: explore and the home timeline's recent window use the
        # first, profiles and the timeline's by-author path the second (it also serves the
        # foreign key when a user is deleted). The trailing columns let the visibility rule
        # (and, in the first, whether the author is followed) be checked in the index: the
        # home timeline, and profile post counts, read no table rows until the page is found.
        # in_reply_to_user_id: whether a post is a reply (explore and the Posts tab leave them
        # out) and whom it answers (the home timeline's rule for replies).
        sa.Index(
            "ix_post_timestamp_id_user_id_hidden_at_in_reply_to_user_id",
            "timestamp",
            "id",
            "user_id",
            "hidden_at",
            "in_reply_to_user_id",
        ),
        sa.Index(
            "ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id",
            "user_id",
            "timestamp",
            "id",
            "hidden_at",
            "in_reply_to_user_id",
        ),
        # A thread's pages: one range each, in reading order.
        sa.Index("ix_post_thread_path", "thread_path", unique=True),
        # A card's reply count: the direct replies of a post, with what the visibility rule
        # needs, counted in the index. Only replies are in it.
        sa.Index(
            "ix_post_in_reply_to_id_hidden_at_user_id",
            "in_reply_to_id",
            "hidden_at",
            "user_id",
            sqlite_where=sa.text("in_reply_to_id IS NOT NULL"),
            postgresql_where=sa.text("in_reply_to_id IS NOT NULL"),
        ),
        # Deleting an account sets hidden_by_id to NULL where it points to it; this keeps that
        # from scanning every post, while staying tiny (only hidden posts are in it).
        sa.Index(
            "ix_post_hidden_by_id",
            "hidden_by_id",
            sqlite_where=sa.text("hidden_by_id IS NOT NULL"),
            postgresql_where=sa.text("hidden_by_id IS NOT NULL"),
        ),
        # Never reuse the id of a deleted post: replies still point at it.
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"

    @property
    def full_path(self) -> bytes:
        """This post's place in its conversation (``thread_path``, or its own id for a root)."""
        return self.thread_path or path_segment(self.id)

    @property
    def conversation_id(self) -> int:
        """The id of the post that started this post's conversation (its own if it did)."""
        return path_ids(self.full_path)[0]

    def reply(self, author: User, body: str) -> Post:
        """A new reply by ``author`` to this post, added to the session with its path set.

        The path needs the reply's id, so it is flushed first. Raises ``ValueError`` if the
        conversation is already :data:`MAX_THREAD_DEPTH` deep here.
        """
        parent_path = self.full_path
        if len(parent_path) // _ID_BYTES >= MAX_THREAD_DEPTH:
            raise ValueError("This conversation is too long to answer here.")
        reply = Post(
            body=body, author=author, in_reply_to_id=self.id, in_reply_to_user_id=self.user_id
        )
        db.session.add(reply)
        db.session.flush()
        reply.thread_path = parent_path + path_segment(reply.id)
        return reply

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
        self._notifications_changed()

    def unhide(self) -> None:
        """Show the post to everyone again."""
        self.hidden_at = None
        self.hidden_by = None
        self._notifications_changed()

    def _notifications_changed(self) -> None:
        # Those told about this post see it leave or come back (their lists and counts).
        from app.models.notifications import Notification, touch_recipients_of  # imports Post

        touch_recipients_of(Notification.post_id == self.id)
