"""Post cards: what a listing shows of a post, and the page queries of explore and profiles.

Listings (home, explore, profiles) show 25 posts per page. Loading them as ORM objects with
their authors cost much of such a page's time, so listings read plain :class:`PostCard` tuples
(and render them through :mod:`app.listings.cards`).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from app.listings.bundles import TupleBundle
from app.listings.keyset import PageQuery, PreparedListing, time_id_keyset
from app.models import Post, User, post_visible_to
from app.models.params import AUTHOR_ID, VIEWER_ID

POSTS_NEWEST_FIRST = time_id_keyset(
    Post.timestamp, Post.id, descending=True, position=lambda post: (post.timestamp, post.id)
)


class PostCard(NamedTuple):
    """A post with the little a card shows of its author; compared and hashed by value."""

    id: int
    body: str
    timestamp: datetime
    edited_at: datetime | None
    hidden_at: datetime | None
    user_id: int
    author_username: str
    author_suspended_at: datetime | None

    @property
    def is_hidden(self) -> bool:
        """True while a moderator has hidden the post."""
        return self.hidden_at is not None

    @property
    def author_is_suspended(self) -> bool:
        """True while the author is suspended."""
        return self.author_suspended_at is not None

    @classmethod
    def of(cls, post: Post) -> PostCard:
        """The card of an ORM ``post`` (loads its author if needed)."""
        author = post.author
        return cls(
            post.id,
            post.body,
            post.timestamp,
            post.edited_at,
            post.hidden_at,
            post.user_id,
            author.username,
            author.suspended_at,
        )


POST_CARD = TupleBundle(
    PostCard,
    Post.id,
    Post.body,
    Post.timestamp,
    Post.edited_at,
    Post.hidden_at,
    Post.user_id,
    User.username,
    User.suspended_at,
)
"""Put in a select with the post table joined to its author (see :func:`card_select`)."""


def card_select() -> sa.Select[tuple[PostCard]]:
    """Cards of posts joined to their authors: add WHERE and ORDER BY."""
    return sa.select(POST_CARD).join(User, User.id == Post.user_id)


_EXPLORE = PreparedListing(
    POSTS_NEWEST_FIRST, lambda: card_select().where(post_visible_to(Post.__table__, VIEWER_ID))
)
_PROFILE = PreparedListing(
    POSTS_NEWEST_FIRST,
    lambda: card_select().where(
        Post.user_id == AUTHOR_ID, post_visible_to(Post.__table__, VIEWER_ID)
    ),
)


def explore_cards(viewer: User | None = None) -> PageQuery:
    """Pages of every post ``viewer`` (None: nobody in particular) may see: explore."""
    return _EXPLORE.pages(viewer_id=viewer.id if viewer else None)


def profile_cards(author: User, viewer: User | None = None) -> PageQuery:
    """Pages of ``author``'s posts that ``viewer`` may see; see ``User.authored_posts``."""
    return _PROFILE.pages(author_id=author.id, viewer_id=viewer.id if viewer else None)
