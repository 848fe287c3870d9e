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
    viewer_follows: bool  # whether the person reading the list follows them

    def avatar(self, size: int = 64) -> str:
        """URL of their identicon, like :meth:`User.avatar`."""
        return url_for_id("main.avatar", "user_id", self.id, size=size)


_USER_ID = sa.bindparam("user_id", type_=sa.Integer)
_VIEWER_ID = sa.bindparam("viewer_id", type_=sa.Integer)
_VIEWERS = followers.alias("viewers_follow")
_PERSON = TupleBundle(
    PersonCard,
    User.id,
    User.username,
    followers.c.created_at,
    # A probe of the primary key per person: the Follow buttons need no statement of their own.
    sa.exists().where(_VIEWERS.c.follower_id == _VIEWER_ID, _VIEWERS.c.followed_id == User.id),
)


def _newest_first(person: sa.Column, owner: sa.Column) -> tuple[Keyset, PreparedListing]:
    """The order and the listing of the people in ``person`` for the user in ``owner``."""
    keyset = Keyset(
        columns=(followers.c.created_at, person),
        descending=True,
        encode=lambda card: encode_time_id(card.followed_at, card.id),
        decode=decode_time_id,
    )
    listing = PreparedListing(
        keyset,
        lambda: sa.select(_PERSON).join(followers, person == User.id).where(owner == _USER_ID),
    )
    return keyset, listing


FOLLOWERS_NEWEST_FIRST, _FOLLOWERS = _newest_first(followers.c.follower_id, followers.c.followed_id)
FOLLOWING_NEWEST_FIRST, _FOLLOWING = _newest_first(followers.c.followed_id, followers.c.follower_id)


def follower_cards(user: User, viewer: User) -> PageQuery:
    """Pages of the people following ``user`` (:data:`FOLLOWERS_NEWEST_FIRST`) for ``viewer``."""
    return _FOLLOWERS.pages(user_id=user.id, viewer_id=viewer.id)


def following_cards(user: User, viewer: User) -> PageQuery:
    """Pages of the people ``user`` follows (:data:`FOLLOWING_NEWEST_FIRST`) for ``viewer``."""
    return _FOLLOWING.pages(user_id=user.id, viewer_id=viewer.id)
