"""Post cards: what a listing shows of a post, and the page queries of explore and profiles.

Listings (home, explore, profiles, threads) show 25 posts per page. Loading them as ORM objects with
their authors cost much of such a page's time, so listings read plain :class:`PostCard` tuples
(and render them through :mod:`app.listings.cards`).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.listings.bundles import TupleBundle
from app.listings.keyset import PageQuery, PreparedListing, time_id_keyset
from app.listings.mentions import MENTION_LINKS
from app.models import Like, Post, User, counted_likes, counted_replies, post_visible_to
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
    in_reply_to_id: int | None
    # The answered post's author; None when that post is gone (deleted, or with its account).
    in_reply_to_username: str | None
    # Its direct replies that everyone may see (not hidden, author not suspended).
    reply_count: int
    # Its likes by accounts that are not suspended, and whether the reader is one of them.
    like_count: int
    viewer_liked: bool
    # Whom its "@name"s stand for (app.listings.mentions): "name=current_name ...", or None.
    mentions: str | None

    @property
    def is_hidden(self) -> bool:
        """True while a moderator has hidden the post."""
        return self.hidden_at is not None

    @property
    def author_is_suspended(self) -> bool:
        """True while the author is suspended."""
        return self.author_suspended_at is not None

    @property
    def is_reply(self) -> bool:
        """True if the post answers another."""
        return self.in_reply_to_id is not None

    @classmethod
    def of(cls, post: Post, viewer: User | None = None) -> PostCard:
        """The card of an ORM ``post`` as ``viewer`` sees it (did they like it?), read again
        from the database with its counts; a post deleted since it was loaded is shown as it
        was then (with no replies or likes)."""
        viewer_id = viewer.id if viewer is not None and viewer.is_authenticated else None
        card = db.session.scalars(
            _one_card(), {"post_id": post.id, "viewer_id": viewer_id}
        ).one_or_none()
        if card is not None:
            return card
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
            post.in_reply_to_id,
            None,
            0,
            0,
            False,
            None,
        )


_PARENT = Post.__table__.alias("parent_post")
_PARENT_AUTHOR = User.__table__.alias("parent_author")
REPLY_COUNT = counted_replies(Post.id).correlate(Post).scalar_subquery()
"""How many direct replies of a post everyone may see, in the statement of the page (no
statement per card): the stored count, one key lookup however many replies."""

LIKE_COUNT = counted_likes(Post.id).correlate(Post).scalar_subquery()
"""How many likes of a post count, in the statement of the page (no statement per card): the
stored count, one key lookup however many likes (app/models/counts.py)."""
_VIEWERS_LIKE = so.aliased(Like, name="viewers_like")
VIEWER_LIKED = (
    sa.select(_VIEWERS_LIKE.post_id)
    .where(_VIEWERS_LIKE.user_id == VIEWER_ID, _VIEWERS_LIKE.post_id == Post.id)
    .correlate(Post)
    .exists()
)
"""Whether the reader (``viewer_id``) liked the post: a probe of the likes' primary key, in
the statement of the page, so the Like buttons need no statement of their own."""

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
    Post.in_reply_to_id,
    _PARENT_AUTHOR.c.username,
    REPLY_COUNT,
    LIKE_COUNT,
    VIEWER_LIKED,
    MENTION_LINKS,
)
"""Put in a select with the post table joined to its author (see :func:`card_select`); its
statement needs the ``viewer_id`` parameter (None: nobody liked anything)."""


def card_select(bundle: sa.ColumnElement | so.Bundle = POST_CARD) -> sa.Select[tuple[PostCard]]:
    """Cards of posts joined to their authors (and those of the posts they answer): add WHERE
    and ORDER BY. ``bundle`` selects more than the card (it must hold its columns)."""
    return (
        sa.select(bundle)
        .join(User, User.id == Post.user_id)
        .outerjoin(_PARENT, _PARENT.c.id == Post.in_reply_to_id)
        .outerjoin(_PARENT_AUTHOR, _PARENT_AUTHOR.c.id == _PARENT.c.user_id)
    )


_POST_ID = sa.bindparam("post_id", type_=sa.Integer)


@cache
def _one_card() -> sa.Select[tuple[PostCard]]:
    # Built once: building it and working out its cache key cost more than running it.
    return card_select().where(Post.id == _POST_ID)


# Explore and a profile's Posts tab show posts that answer nothing; replies are found in their
# threads (and on the Posts and replies tab).
_TOP_LEVEL = Post.in_reply_to_user_id.is_(None)
_EXPLORE = PreparedListing(
    POSTS_NEWEST_FIRST,
    lambda: card_select().where(post_visible_to(Post.__table__, VIEWER_ID), _TOP_LEVEL),
)
_PROFILE_WITH_REPLIES = PreparedListing(
    POSTS_NEWEST_FIRST,
    lambda: card_select().where(
        Post.user_id == AUTHOR_ID, post_visible_to(Post.__table__, VIEWER_ID)
    ),
)
_PROFILE = PreparedListing(
    POSTS_NEWEST_FIRST,
    lambda: card_select().where(
        Post.user_id == AUTHOR_ID, post_visible_to(Post.__table__, VIEWER_ID), _TOP_LEVEL
    ),
)


def cards_of(post_ids: list[int], viewer: User) -> dict[int, PostCard]:
    """The cards of the posts ``post_ids`` (a page of reports, say) as ``viewer`` sees them, by
    id, in one statement."""
    stmt = card_select().where(Post.id.in_(post_ids))
    return {card.id: card for card in db.session.scalars(stmt, {"viewer_id": viewer.id})}


def explore_cards(viewer: User | None = None) -> PageQuery:
    """Pages of every post that answers nothing and ``viewer`` (None: nobody in particular)
    may see: explore."""
    return _EXPLORE.pages(viewer_id=viewer.id if viewer else None)


def profile_cards(
    author: User, viewer: User | None = None, with_replies: bool = False
) -> PageQuery:
    """Pages of ``author``'s posts that ``viewer`` may see, replies only if ``with_replies``
    (the profile's tabs); see ``User.authored_posts``."""
    listing = _PROFILE_WITH_REPLIES if with_replies else _PROFILE
    return listing.pages(author_id=author.id, viewer_id=viewer.id if viewer else None)
