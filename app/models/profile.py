"""The figures a profile shows, read in one statement."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import sqlalchemy as sa

from app.extensions import db
from app.models.follows import (
    followers,
    followers_count_statement,
    following_count_statement,
)
from app.models.params import USER_ID, VIEWER_ID
from app.models.user import User, posts_count_statement


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
    :meth:`User.following_count` and :meth:`User.is_following` (both ways), in one statement.
    """
    values = {"user_id": user.id, "viewer_id": viewer.id if viewer else None}
    return ProfileStats(*db.session.execute(_profile_stats_statement(), values).one())


@cache
def _profile_stats_statement() -> sa.Select[tuple[int, int, int, bool, bool]]:
    def follows(follower, followed) -> sa.Exists:
        return sa.exists().where(
            followers.c.follower_id == follower, followers.c.followed_id == followed
        )

    return sa.select(
        posts_count_statement().scalar_subquery(),
        followers_count_statement().scalar_subquery(),
        following_count_statement().scalar_subquery(),
        follows(VIEWER_ID, USER_ID),
        follows(USER_ID, VIEWER_ID),
    )
