"""Notifications for ``flask fake``: what the fake follows, likes and replies would have told
people.

Made after the conversations, by one bulk ``INSERT ... SELECT`` per kind (the ORM's listeners,
which tell people as posts are written, would take hours at this volume): a reply notification
for every reply to someone else, and a follow or like notification for each follow, or like
of someone else's post, of the last :data:`FOLLOW_DAYS` days (older ones would long have been
read; at the benchmark's XL the follows are ten million). Each account then has unread
notifications, as on a busy site: its bell runs its count.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import Like, Notification, Post, User, followers
from app.models.notifications import FOLLOW, LIKE, REPLY
from app.models.types import utcnow

FOLLOW_DAYS = 60


def _day(connection: sa.Connection, column: str) -> str:
    """SQL for the UTC date (``YYYY-MM-DD``) of a stored ``UTCDateTime`` column."""
    if connection.dialect.name == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"substr({column}, 1, 10)"  # stored as UTC text, date first


def add_notifications(engine: sa.Engine) -> int:
    """Insert the notifications of the fake replies, recent follows and recent likes; returns
    how many."""
    notification, post, user = Notification.__table__, Post.__table__, User.__table__
    like = Like.__table__
    with engine.begin() as connection:
        connection.execute(
            sa.insert(notification).from_select(
                ["user_id", "actor_id", "kind", "post_id", "created_at"],
                sa.select(
                    post.c.in_reply_to_user_id,
                    post.c.user_id,
                    sa.literal(REPLY),
                    post.c.id,
                    post.c.timestamp,
                )
                .where(
                    post.c.in_reply_to_user_id.is_not(None),
                    post.c.in_reply_to_user_id != post.c.user_id,
                    post.c.in_reply_to_user_id.in_(sa.select(user.c.id)),
                )
                .order_by(post.c.timestamp, post.c.id),
            )
        )
        since = utcnow() - timedelta(days=FOLLOW_DAYS)
        connection.execute(
            sa.insert(notification).from_select(
                ["user_id", "actor_id", "kind", "created_at", "group_key"],
                sa.select(
                    followers.c.followed_id,
                    followers.c.follower_id,
                    sa.literal(FOLLOW),
                    followers.c.created_at,
                    sa.literal("follow:")
                    + sa.literal_column(_day(connection, "followers.created_at")),
                )
                .where(followers.c.created_at >= since)
                .order_by(followers.c.created_at),
            )
        )
        connection.execute(
            sa.insert(notification).from_select(
                ["user_id", "actor_id", "kind", "post_id", "created_at", "group_key"],
                sa.select(
                    post.c.user_id,
                    like.c.user_id,
                    sa.literal(LIKE),
                    like.c.post_id,
                    like.c.created_at,
                    sa.literal("like:")
                    + sa.cast(like.c.post_id, sa.String)
                    + sa.literal(":")
                    + sa.literal_column(_day(connection, "post_like.created_at")),
                )
                .join(post, post.c.id == like.c.post_id)
                .where(like.c.created_at >= since, like.c.user_id != post.c.user_id)
                .order_by(like.c.created_at),
            )
        )
        connection.execute(sa.update(user).values(notifications_version=1))
        # Counted, not summed from rowcount: psycopg reports -1 for these INSERT ... SELECT.
        return connection.scalar(sa.select(sa.func.count()).select_from(notification))
