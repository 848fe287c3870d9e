"""The figures a profile shows, read in one statement from the stored counts
(:mod:`app.models.counts`): its cost does not grow with the number of followers or posts."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import sqlalchemy as sa

from app.extensions import db
from app.models.counts import user_stats
from app.models.follows import followers
from app.models.params import USER_ID, VIEWER_ID
from app.models.user import User


class ProfileStats(NamedTuple):
    """The figures a profile shows, as a viewer sees them."""

    posts: int
    followers: int
    following: int
    followed_by_viewer: bool
    follows_viewer: bool


def profile_stats(user: User, viewer: User | None) -> ProfileStats:
    """``user``'s post, follower and following counts, whether ``viewer`` follows them and
    whether they follow ``viewer``.

    The same figures as :meth:`User.posts_count`, :meth:`User.followers_count`,
    :meth:`User.following_count` and :meth:`User.is_following` (both ways), which count from
    scratch, in one statement. Others see neither hidden posts nor any post of a suspended
    account (as :func:`~app.models.user.post_visible_to` says); the author sees them all.
    """
    viewer_id = viewer.id if viewer else None
    values = {"user_id": user.id, "viewer_id": viewer_id}
    row = db.session.execute(_profile_stats_statement(), values).one()
    posts, hidden, followers_count, following_count, followed, follows_back = row
    if viewer_id != user.id:
        posts = 0 if user.is_suspended else posts - hidden
    return ProfileStats(posts, followers_count, following_count, followed, follows_back)


@cache
def _profile_stats_statement() -> sa.Select[tuple[int, int, int, int, bool, bool]]:
    def follows(follower, followed) -> sa.Exists:
        return sa.exists().where(
            followers.c.follower_id == follower, followers.c.followed_id == followed
        )

    return sa.select(
        user_stats.c.posts,
        user_stats.c.hidden_posts,
        user_stats.c.followers,
        user_stats.c.following,
        follows(VIEWER_ID, USER_ID),
        follows(USER_ID, VIEWER_ID),
    ).where(user_stats.c.user_id == USER_ID)
