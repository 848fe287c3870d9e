"""Likes, a page at a time: who liked a post, and the posts someone liked, newest like first.

Both are keyset listings along an index of ``post_like`` ((post_id, created_at, user_id) and
(user_id, created_at, post_id)): a page of the likers of a post with thousands of likes costs
what a page of one with three does.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from app.listings.bundles import TupleBundle
from app.listings.keyset import PageQuery, PreparedListing, time_id_keyset
from app.listings.posts import POST_CARD, PostCard, card_select
from app.models import Like, Post, User, followers, post_visible_to
from app.models.params import USER_ID, VIEWER_ID

_POST_ID = sa.bindparam("post_id", type_=sa.Integer)


class LikerCard(NamedTuple):
    """Someone who liked a post, when, and whether the reader follows them (for the list's
    Follow buttons, as in follower lists)."""

    id: int
    username: str
    liked_at: datetime
    viewer_follows: bool


_VIEWERS = followers.alias("viewers_follow")
# A probe of the followers key per person, as in follower lists (app.listings.people).
_VIEWER_FOLLOWS = sa.exists().where(
    _VIEWERS.c.follower_id == VIEWER_ID, _VIEWERS.c.followed_id == User.id
)

LIKERS_NEWEST_FIRST = time_id_keyset(
    Like.created_at, Like.user_id, descending=True, position=lambda card: (card.liked_at, card.id)
)
# Likes of suspended accounts are not counted, so they are not listed either: asked of the
# liker's row the card reads (see app.listings.people), whatever the number suspended.
_LIKERS = PreparedListing(
    LIKERS_NEWEST_FIRST,
    lambda: (
        sa.select(TupleBundle(LikerCard, User.id, User.username, Like.created_at, _VIEWER_FOLLOWS))
        .select_from(Like)
        .join(User, User.id == Like.user_id)
        .where(
            Like.post_id == _POST_ID,
            User.suspended_at.is_(None),
        )
    ),
)


def liker_cards(post: Post | PostCard, viewer: User) -> PageQuery:
    """Pages of the people who liked ``post`` (:data:`LIKERS_NEWEST_FIRST`) for ``viewer``."""
    return _LIKERS.pages(post_id=post.id, viewer_id=viewer.id)


class LikedPost(NamedTuple):
    """A post someone liked, as a card, and when they liked it (the page's order)."""

    card: PostCard
    liked_at: datetime


_CARD_SIZE = len(POST_CARD.exprs)


def _liked_post(values) -> LikedPost:
    # The card's columns, then the time of the like.
    return LikedPost(PostCard._make(values[:_CARD_SIZE]), values[_CARD_SIZE])


LIKED_NEWEST_FIRST = time_id_keyset(
    Like.created_at,
    Like.post_id,
    descending=True,
    position=lambda item: (item.liked_at, item.card.id),
)
_LIKED = PreparedListing(
    LIKED_NEWEST_FIRST,
    lambda: (
        card_select(TupleBundle(LikedPost, *POST_CARD.exprs, Like.created_at, make=_liked_post))
        .join(Like, Like.post_id == Post.id)
        .where(Like.user_id == USER_ID, post_visible_to(Post.__table__, VIEWER_ID))
    ),
)


def liked_posts(user: User) -> PageQuery:
    """Pages of the posts ``user`` liked and may still see, the newest like first (their own
    Likes tab: nobody else sees it)."""
    return _LIKED.pages(user_id=user.id, viewer_id=user.id)
