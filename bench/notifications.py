"""The benchmark's notified accounts (issue 17): one with 100,000 notifications, which reads
them, and one with more unread than the bell counts, which never does."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Post, User, mention, user_by_username
from app.models.notifications import MENTION
from bench.accounts import add_bench_account

NOTIFIED = "bench_notified"
UNREAD = "bench_unread"
NOTIFICATIONS = 100_000
UNREAD_NOTIFICATIONS = 1_000


def _mentioned_by_oldest_posts(user: User, count: int) -> None:
    """Bind ``user`` to the ``count`` oldest posts by others as a mention, with a notification
    each, as if those posts had named them (old posts: the newest pages stay as they were)."""
    oldest = (
        sa.select(Post.id, Post.user_id, Post.timestamp)
        .where(Post.user_id != user.id)
        .order_by(Post.timestamp, Post.id)
        .limit(count)
        .subquery()
    )
    db.session.execute(
        sa.insert(mention).from_select(
            ["post_id", "name_key", "user_id"],
            sa.select(oldest.c.id, sa.literal(user.username_key), sa.literal(user.id)),
        )
    )
    db.session.execute(
        sa.insert(Notification).from_select(
            ["user_id", "actor_id", "kind", "post_id", "created_at"],
            sa.select(
                sa.literal(user.id),
                oldest.c.user_id,
                sa.literal(MENTION),
                oldest.c.id,
                oldest.c.timestamp,
            ).order_by(oldest.c.timestamp, oldest.c.id),
        )
    )
    user.notifications_version = 1


def add_notified_accounts() -> None:
    """Once per database: the two accounts and their notifications (as many as there are
    posts, at S)."""
    if user_by_username(NOTIFIED):
        return
    for name, count in ((NOTIFIED, NOTIFICATIONS), (UNREAD, UNREAD_NOTIFICATIONS)):
        _mentioned_by_oldest_posts(add_bench_account(name), count)
    db.session.commit()


def notification_pages() -> list[tuple[str, str, str, str, str]]:
    """The pages to measure: (name, URL, who reads it, what must be on it, the name without
    the size's figures); none before :func:`add_notified_accounts`."""
    notified = user_by_username(NOTIFIED)
    if notified is None:
        return []
    count = db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == notified.id))
    return [
        (
            f"notifications, {count}",
            "/notifications",
            NOTIFIED,
            'class="notification ',
            "notifications, the most",
        ),
        ("unread count, 99+", "/notifications/unread", UNREAD, '"unread":100', ""),
    ]
