"""Follower and following lists: a page of people at a time, the newest follow first.

Ordered by name, every page had to sort all of a user's followers (about 1 ms for the 7,000
followers of the most followed of 10,000 users, and growing with them). Ordered by when each
follow began, a page is one range of a followers index, however long the list.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from app.bundles import TupleBundle
from app.models import User, followers
from app.pagination import Keyset, PageQuery, PreparedListing, decode_time_id, encode_time_id
from app.urls import url_for_id


class PersonCard(NamedTuple):
    """Someone in a follower or following list, and when that follow began."""

    id: int
    username: str
    followed_at: datetime

    def avatar(self, size: int = 64) -> str:
        """URL of their identicon, like :meth:`User.avatar`."""
        return url_for_id("main.avatar", "user_id", self.id, size=size)


def _newest_first(person_id: sa.Column) -> Keyset:
    return Keyset(
        columns=(followers.c.created_at, person_id),
        descending=True,
        encode=lambda person: encode_time_id(person.followed_at, person.id),
        decode=decode_time_id,
    )


FOLLOWERS_NEWEST_FIRST = _newest_first(followers.c.follower_id)
FOLLOWING_NEWEST_FIRST = _newest_first(followers.c.followed_id)

_USER_ID = sa.bindparam("user_id", type_=sa.Integer)
_PERSON = TupleBundle(PersonCard, User.id, User.username, followers.c.created_at)

_FOLLOWERS = PreparedListing(
    FOLLOWERS_NEWEST_FIRST,
    lambda: (
        sa.select(_PERSON)
        .join(followers, followers.c.follower_id == User.id)
        .where(followers.c.followed_id == _USER_ID)
    ),
)
_FOLLOWING = PreparedListing(
    FOLLOWING_NEWEST_FIRST,
    lambda: (
        sa.select(_PERSON)
        .join(followers, followers.c.followed_id == User.id)
        .where(followers.c.follower_id == _USER_ID)
    ),
)


def follower_cards(user: User) -> PageQuery:
    """Pages of the people following ``user`` (:data:`FOLLOWERS_NEWEST_FIRST`)."""
    return _FOLLOWERS.pages(user_id=user.id)


def following_cards(user: User) -> PageQuery:
    """Pages of the people ``user`` follows (:data:`FOLLOWING_NEWEST_FIRST`)."""
    return _FOLLOWING.pages(user_id=user.id)
