"""Likes: someone liked a post. One row per person and post, so a double click, two tabs or two
requests at once never make two.

Every like and unlike goes through :func:`like` and :func:`unlike`: what else must happen when
someone likes a post (telling its author) belongs there, once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import insert_new
from app.models.counts import post_stats
from app.models.notifications import LIKE, notify, unnotify
from app.models.post import Post
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class Like(db.Model):
    """``user_id`` liked ``post_id`` at ``created_at``. Goes with the post or the account.

    The table is ``post_like``: ``like`` is a reserved word in SQL.
    """

    __tablename__ = "post_like"

    # The key answers "did this person like this post" (a card's pressed button) and keeps a
    # second like of the same post by the same person out.
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # A post's likers newest first, a page being one range however many there are (the
        # liker's id is in it for the rule that leaves out suspended accounts). It also
        # serves the foreign key when a post goes.
        sa.Index("ix_post_like_post_id_created_at", "post_id", "created_at", "user_id"),
        # Someone's liked posts newest first (their Likes tab), likewise; it also serves the
        # foreign key when an account goes.
        sa.Index("ix_post_like_user_id_created_at", "user_id", "created_at", "post_id"),
    )

    def __repr__(self) -> str:
        return f"<Like of post {self.post_id} by {self.user_id}>"


def like(user: User, post: Post) -> bool:
    """``user`` likes ``post``; True if that is new, False if they liked it already.

    An ``INSERT ... ON CONFLICT DO NOTHING``: two at once leave one row and no error. A post
    deleted meanwhile fails its foreign key (``IntegrityError``) at once. Whether the post may
    be liked (seen by ``user``, not hidden) is the caller's to check, under a lock of the post.
    """
    # RETURNING says whether a row went in: psycopg reports no row count for it here.
    table = Like.__table__
    inserted = db.session.execute(
        insert_new(table)
        .values(user_id=user.id, post_id=post.id, created_at=utcnow())
        .returning(table.c.post_id)
    )
    if inserted.first() is None:
        return False
    notify(post.user_id, user.id, LIKE, post.id)  # not to oneself: notify() skips that
    return True


def unlike(user: User, post: Post) -> bool:
    """``user`` no longer likes ``post``; True if they did until now."""
    table = Like.__table__
    deleted = db.session.execute(
        sa.delete(table)
        .where(table.c.user_id == user.id, table.c.post_id == post.id)
        .returning(table.c.post_id)
    )
    if deleted.first() is None:
        return False
    unnotify(post.user_id, user.id, LIKE, post.id)
    return True


def counted_likes(post_id: sa.ColumnElement[int]) -> sa.Select[tuple[int]]:
    """How many likes of the post ``post_id`` count: those of accounts not suspended (theirs
    come back when the suspension is lifted). Stored (``post_stats``, kept by triggers: see
    app/models/counts.py): one key lookup, however many likes. With a column for ``post_id``
    it is correlated, for a listing's own statement (no statement per card)."""
    # An aggregate over at most one row: 0, not NULL, for a post nobody liked.
    return sa.select(sa.func.coalesce(sa.func.max(post_stats.c.likes), 0)).where(
        post_stats.c.post_id == post_id
    )


def like_count(post: Post | int) -> int:
    """How many likes of ``post`` (or the post of that id) count (see :func:`counted_likes`)."""
    post_id = post if isinstance(post, int) else post.id
    return db.session.scalar(counted_likes(sa.literal(post_id))) or 0
