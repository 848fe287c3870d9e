"""Post cards: what a listing shows of a post, how listings read them and how they are rendered.

Listings (home, explore, profiles) show 25 posts per page. Loading them as ORM objects with
their authors, and rendering each through the card macro, cost most of such a page's time, so
listings read plain :class:`PostCard` tuples and render them through :class:`CardCache`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app, request
from markupsafe import Markup

from app.listings.bundles import TupleBundle
from app.listings.keyset import Keyset, PageQuery, PreparedListing, decode_time_id, encode_time_id
from app.models import Post, User, post_visible_to
from app.models.types import utcnow
from app.web.filters import relative_time

if TYPE_CHECKING:
    from app.web.permissions import AnonymousUser

POSTS_NEWEST_FIRST = Keyset(
    columns=(Post.timestamp, Post.id),
    descending=True,
    encode=lambda post: encode_time_id(post.timestamp, post.id),
    decode=decode_time_id,
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


_VIEWER_ID = sa.bindparam("viewer_id", type_=sa.Integer)
_AUTHOR_ID = sa.bindparam("author_id", type_=sa.Integer)

_EXPLORE = PreparedListing(
    POSTS_NEWEST_FIRST, lambda: card_select().where(post_visible_to(Post.__table__, _VIEWER_ID))
)
_PROFILE = PreparedListing(
    POSTS_NEWEST_FIRST,
    lambda: card_select().where(
        Post.user_id == _AUTHOR_ID, post_visible_to(Post.__table__, _VIEWER_ID)
    ),
)


def explore_cards(viewer: User | None = None) -> PageQuery:
    """Pages of every post ``viewer`` (None: nobody in particular) may see: explore."""
    return _EXPLORE.pages(viewer_id=viewer.id if viewer else None)


def profile_cards(author: User, viewer: User | None = None) -> PageQuery:
    """Pages of ``author``'s posts that ``viewer`` may see; see ``User.authored_posts``."""
    return _PROFILE.pages(author_id=author.id, viewer_id=viewer.id if viewer else None)


class CardCache:
    """Rendered cards, shared by every viewer who stands in the same relation to a post.

    A card's HTML depends only on the card's values, whether the viewer is anonymous, its
    author or someone else, whether Report is offered, the relative time shown and the
    application root: that tuple is the key, so an edited, hidden or renamed post simply gets
    a new entry, never a stale one. Moderators' cards carry links back to the page they are
    on and are not cached. The oldest entries go first when the cache is full.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("POST_CARD_CACHE_SIZE must be at least 1")
        self.size = size
        self._html: dict[tuple, Markup] = {}
        self._lock = threading.Lock()

    def render(
        self, cards: Iterable[PostCard], viewer: User | AnonymousUser, reportable: bool = True
    ) -> Markup:
        """The HTML of ``cards`` for ``viewer``, as the ``post_card`` macro renders each."""
        viewer_id = viewer.id if viewer.is_authenticated else None
        now, root, html = utcnow(), request.script_root, []
        for card in cards:
            relative = relative_time(card.timestamp, now)
            if viewer_id is None:
                relation = "anonymous"
            else:
                relation = "author" if viewer_id == card.user_id else "reader"
            key = (card, relation, reportable, relative, root)
            one = self._html.get(key)
            if one is None:
                one = render_card(card, viewer, relative=relative, reportable=reportable)
                self._keep(key, one)
            html.append(one)
        return Markup("").join(html)

    def _keep(self, key: tuple, html: Markup) -> None:
        # Threaded servers may fill it from several threads; reads need no lock. Two threads
        # may render the same card at once: the second keeps the first's, and evicts nothing.
        with self._lock:
            if key in self._html:
                return
            while len(self._html) >= self.size:
                del self._html[next(iter(self._html))]
            self._html[key] = html

    def __len__(self) -> int:
        return len(self._html)


def render_card(card: PostCard, viewer, **options) -> Markup:
    """Render ``card`` with the ``post_card`` macro of ``_macros/posts.html``."""
    macros = current_app.jinja_env.get_template("_macros/posts.html").module
    return macros.post_card(card, viewer, **options)


def post_cards(cards, viewer, reportable: bool = True) -> Markup:
    """Template global: the HTML of ``cards`` (a listing) for ``viewer``, from the app's cache."""
    return current_app.extensions["post_cards"].render(cards, viewer, reportable)


def init_app(app: Flask) -> None:
    """Give ``app`` its card cache (``POST_CARD_CACHE_SIZE`` entries) and template helpers."""
    app.extensions["post_cards"] = CardCache(app.config["POST_CARD_CACHE_SIZE"])
    app.add_template_global(post_cards)
    app.add_template_filter(PostCard.of, "card")
