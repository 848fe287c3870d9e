"""Hashtags: the posts of a tag, tags by the start of their name, and what is trending."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app
from markupsafe import Markup

from app.database import custom_plans
from app.extensions import db
from app.listings.bundles import TupleBundle
from app.listings.frozen import fetch_items
from app.listings.keyset import (
    Keyset,
    PageQuery,
    PreparedListing,
    decode_text,
    prefix_end,
    select_pages,
)
from app.listings.posts import card_select
from app.models import Post, post_visible_to, utcnow
from app.models.params import VIEWER_ID
from app.models.search import Tag, post_tag
from app.search.query import PAGE_LIMIT_IN_TEXT, by_post_id, visible_in_order
from app.web.memo import Memo

TAG_ID = sa.bindparam("tag_id", type_=sa.Integer)
# On PostgreSQL the tag is written into the statement's text: how many posts have it decides
# the plan (a generic plan made a tag page at XL take 8 ms instead of 2.4), and a tag's page
# then keeps its plan from one request to the next on a connection (in_statement_text).
TAG_ID_IN_TEXT = sa.bindparam("tag_id", type_=sa.Integer, literal_execute=True)
TRENDING_WINDOW = timedelta(hours=24)
TRENDING_COUNT = 10


# A tag page is one range of post_tag's primary key (tag_id, post_id), newest first; who may
# see each post is decided as on explore. SQLite goes through the range and probes each post.
_TAG_POSTS_JOINED = PreparedListing(
    by_post_id(post_tag.c.post_id),
    lambda: (
        card_select()
        .join(post_tag, post_tag.c.post_id == Post.id)
        .where(post_tag.c.tag_id == TAG_ID, post_visible_to(Post.__table__, VIEWER_ID))
    ),
)


class _TagPosts(PreparedListing):
    """A tag page on PostgreSQL: the range's post ids first, then who may see each post, post
    by post in that order until the page is full (:func:`~app.search.query.visible_in_order`).

    Joined in one step (as on SQLite), PostgreSQL walked ``post``'s key beside the tag's
    range and read the visibility of every post it went past: 2,789 at L for a tag in 2.6% of
    posts, and 2.45 ms of DB time a page against 1.75 now. On SQLite this shape cost about
    0.1 ms more CPU a page than the join, which SQLite already runs as range, then probes.
    """

    # Written into the text: a text, and so a plan kept by the connection, per tag.
    literal = ("tag_id", "page_limit")

    def __init__(self) -> None:
        super().__init__(by_post_id(post_tag.c.post_id))

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select:
        """The page's post ids from the tag's range, then their cards."""
        tagged = sa.select(post_tag.c.post_id).where(post_tag.c.tag_id == TAG_ID_IN_TEXT)
        top = visible_in_order(
            tagged, post_tag.c.post_id, position, reverse, PAGE_LIMIT_IN_TEXT, VIEWER_ID
        ).subquery("top")
        return (
            card_select()
            .join(top, top.c.post_id == Post.id)
            .order_by(*self.keyset.ordering(reverse, columns=(top.c.post_id,)))
        )


_TAG_POSTS = {"postgresql": _TagPosts()}


class TagRef(NamedTuple):
    """A tag as its page needs it: its id and its stored name."""

    id: int
    name: str


# Built once, and run as its SQL text (app.listings.frozen): the tag as an ORM object, through
# the session, cost a tag page 0.1 ms more (L, SQLite) than its id and name as a tuple.
_TAG_NAMED = sa.select(TupleBundle(TagRef, Tag.id, Tag.name)).where(
    Tag.name == sa.bindparam("name", type_=Tag.name.type)
)


def tag_named(name: str) -> TagRef | None:
    """The tag stored as ``name`` (already normalised), if any post ever had it."""
    found = fetch_items(_TAG_NAMED, {"name": name})
    return found[0] if found else None


def tag_cards(tag: TagRef, viewer) -> PageQuery:
    """Pages of the posts with ``tag`` that ``viewer`` may see, newest first."""
    listing = _TAG_POSTS.get(db.engine.dialect.name, _TAG_POSTS_JOINED)
    return listing.pages(tag_id=tag.id, viewer_id=viewer.id)


TAGS_BY_NAME = Keyset(
    columns=(Tag.name,), descending=False, encode=lambda tag: tag.name, decode=decode_text
)


def tags_named_like(start: str) -> PageQuery:
    """Pages of the tags whose name starts with ``start`` (normalised), by name: one range of
    the name index (names compare by code point: see :class:`~app.models.Tag`). As LIKE it
    read every tag's name when fewer than a page matched."""
    names = sa.select(Tag).where(Tag.name >= start, Tag.name < prefix_end(start))
    return select_pages(names, TAGS_BY_NAME)


class Trend(NamedTuple):
    """A trending tag and how many people used it in the window."""

    name: str
    people: int


# Counted again behind the pages: at XL a count takes 65-85 ms on a quiet machine, and every
# worker's ran in a request once a minute, all workers' at the same moment.
_TRENDING: Memo[tuple[Trend, ...]] = Memo("trending", seconds=60, size=1, refresh_behind=True)
# Under the trends themselves: the list is made again when they change.
_TRENDING_HTML: Memo[Markup] = Memo("trending_html", seconds=3600, size=1)


def trending_statement() -> sa.Select:
    """The tags the most people used in posts everyone may see, posted since ``since``.

    The window's posts are one range of the post time index (which carries the author and
    the visibility columns); each is probed for its tags in ``ix_post_tag_post_id_tag_id``.
    """
    since = sa.bindparam("since", type_=Post.timestamp.type)
    people = sa.func.count(sa.distinct(Post.user_id)).label("people")
    return (
        sa.select(Tag.name, people)
        .select_from(Post)
        .join(post_tag, post_tag.c.post_id == Post.id)
        .join(Tag, Tag.id == post_tag.c.tag_id)
        .where(Post.timestamp >= since, post_visible_to(Post.__table__, None, in_bulk=True))
        .group_by(Tag.name)
        .order_by(people.desc(), Tag.name)
        .limit(TRENDING_COUNT)
    )


def trending() -> tuple[Trend, ...]:
    """The trending tags, counted again once a minute per process by a thread of its own
    while pages show the last count (explore shows them on every view; a minute-old list is
    as good). A tuple: a kept fragment's key holds it (the thread page's side column)."""
    return _TRENDING.get("all", _count_trends)


def trending_list() -> Markup:
    """The trending tags as the pages list them (the ``trend_list`` macro), made once per
    process for each list of trends: the same for everyone, and ten tag links cost a tenth
    of a page."""
    trends = trending()
    return _TRENDING_HTML.get(trends, lambda: _list_trends(trends))


def _list_trends(trends: tuple[Trend, ...]) -> Markup:
    macros = current_app.jinja_env.get_template("_macros/search.html").module
    return macros.trend_list(trends)


def forget_trending(app: Flask) -> None:
    """Count the trending tags again on the next view (tests do, between their posts)."""
    _TRENDING.clear(app)
    _TRENDING_HTML.clear(app)


def _count_trends() -> tuple[Trend, ...]:
    # Planned for its window: the generic plan (the app's default on PostgreSQL) guesses the
    # window holds a third of all posts and hashes every post_tag row: 1.9 s at XL, not 65 ms.
    custom_plans(db.session)
    rows = db.session.execute(trending_statement(), {"since": utcnow() - TRENDING_WINDOW})
    return tuple(Trend(*row) for row in rows)
