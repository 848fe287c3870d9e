"""A post's thread: the posts it answers, above it, and its replies, below it in reading order.

A reply's ``thread_path`` lists its conversation's ids from the root down to itself, so sorting
by it gives reading order (each post followed by its replies, depth first, oldest first) and
the replies of a post are one range of its index: a page of a thread with thousands of
replies costs what a page of a small one does. Posts the reader may not see stay in place as
"not available", and posts that were deleted as "deleted", so their replies keep their context.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple, Protocol

import sqlalchemy as sa

from app.extensions import db
from app.listings.bundles import TupleBundle
from app.listings.frozen import fetch_items
from app.listings.keyset import PAGE_LIMIT, BadCursor, Keyset, PageQuery, PreparedListing
from app.listings.posts import POST_CARD, PostCard, card_select
from app.models import MAX_ID, Post, User, post_visible_to
from app.models.params import VIEWER_ID
from app.models.post import descendants_bound, path_ids, path_segment

MAX_INDENT = 5
"""Deeper replies are indented no further (a phone's width runs out)."""


class InThread(Protocol):
    """A post's place in its conversation: a :class:`~app.models.Post` or a
    :class:`ThreadItem` (the thread page's own post is one)."""

    @property
    def full_path(self) -> bytes: ...


class ThreadItem(NamedTuple):
    """A post of a thread: its card, where it is in the thread, and whether the reader may
    see it (when not, only the fact that something is there is shown)."""

    card: PostCard
    thread_path: bytes | None
    visible: bool

    @property
    def id(self) -> int:
        """The post's id (a thread page's cursor)."""
        return self.card.id

    @property
    def full_path(self) -> bytes:
        """The post's place in its conversation, as :attr:`Post.full_path` gives it."""
        return self.thread_path or path_segment(self.card.id)

    def depth_below(self, post: InThread) -> int:
        """How many replies down from ``post`` this one is (1: a direct reply), at most
        :data:`MAX_INDENT`."""
        return self.levels_below(len(post.full_path))

    def levels_below(self, path_length: int) -> int:
        """:meth:`depth_below` the post whose ``full_path`` is ``path_length`` bytes long."""
        levels = (len(self.thread_path or b"") - path_length) // 4
        return max(0, min(levels, MAX_INDENT))


_CARD_SIZE = len(POST_CARD.exprs)


def _thread_item(values) -> ThreadItem:
    # The card's columns, then the path and the visibility flag.
    return ThreadItem(
        PostCard._make(values[:_CARD_SIZE]), values[_CARD_SIZE], bool(values[_CARD_SIZE + 1])
    )


THREAD_ITEM = TupleBundle(
    ThreadItem,
    *POST_CARD.exprs,
    Post.thread_path,
    post_visible_to(Post.__table__, VIEWER_ID),
    make=_thread_item,
)
"""Selects a :class:`ThreadItem`: the card's columns, the path and the visibility flag."""


def _items() -> sa.Select[tuple[ThreadItem]]:
    return card_select(THREAD_ITEM)


def decode_post_id(cursor: str) -> tuple[int]:
    """A thread page's cursor: the id of the post the page starts after (or before)."""
    if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= MAX_ID:
        raise BadCursor(cursor)
    return (int(cursor),)


READING_ORDER = Keyset(
    columns=(Post.thread_path,),
    descending=False,
    encode=lambda item: str(item.id),
    decode=decode_post_id,
)
"""A thread's order. Its cursors name a post by id (a path can be long): the page statement
reads that post's path."""

_FROM = sa.bindparam("thread_from", type_=sa.LargeBinary)
_TO = sa.bindparam("thread_to", type_=sa.LargeBinary)


class ThreadReplies(PreparedListing):
    """The replies under one post, in :data:`READING_ORDER`, each marked visible or not."""

    def __init__(self) -> None:
        super().__init__(READING_ORDER)
        self.position = (sa.bindparam("position_id", type_=sa.Integer),)

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select:
        """Replies whose paths lie between the post's and its bound, beyond the cursor's."""
        path = Post.thread_path
        after, before = _FROM, _TO
        if position is not None:
            cursor = Post.__table__.alias("cursor_post")
            at = sa.select(cursor.c.thread_path).where(cursor.c.id == position[0])
            at = at.scalar_subquery()
            # The cursor's path replaces the thread's bound on its side when it is the tighter
            # (NULL, no page, if the cursor post is gone or is a root): as a second bound on
            # the same side, SQLite read the range from the thread's end and walked every
            # page before the cursor's (page 41 of 2,000 replies: 4 times page 1's work).
            if reverse:
                before = sa.case((at < _TO, at), (at >= _TO, _TO))
            else:
                after = sa.case((at > _FROM, at), (at <= _FROM, _FROM))
        stmt = _items().where(path > after, path < before)
        return stmt.order_by(path.desc() if reverse else path.asc()).limit(PAGE_LIMIT)


_REPLIES = ThreadReplies()


def thread_replies(post: InThread, viewer: User) -> PageQuery:
    """Pages of the replies under ``post`` (replies to replies too) as ``viewer`` sees them."""
    path = post.full_path
    return _REPLIES.pages(thread_from=path, thread_to=descendants_bound(path), viewer_id=viewer.id)


_ANCESTORS = sa.bindparam("ancestor_ids", expanding=True, type_=sa.Integer)


class Ancestor(NamedTuple):
    """A post above the one a thread page is about: ``item`` is None if it was deleted."""

    id: int
    item: ThreadItem | None


def thread_ancestors(post: InThread, viewer: User) -> list[Ancestor]:
    """The posts ``post`` answers, its conversation's root first, in one statement."""
    ids = path_ids(post.full_path)[:-1]
    if not ids:
        return []
    found = {
        item.id: item
        for item in db.session.scalars(
            _ancestors_statement(), {"ancestor_ids": ids, "viewer_id": viewer.id}
        )
    }
    return [Ancestor(ident, found.get(ident)) for ident in ids]


@cache
def _ancestors_statement() -> sa.Select[tuple[ThreadItem]]:
    return _items().where(Post.id.in_(_ANCESTORS))


_POST_ID = sa.bindparam("post_id", type_=sa.Integer)


@cache
def _one_item() -> sa.Select[tuple[ThreadItem]]:
    return _items().where(Post.id == _POST_ID)


def thread_post(post_id: int, viewer: User) -> ThreadItem | None:
    """The post ``post_id`` as a thread page shows it to ``viewer``: its card, its place in
    the conversation and whether ``viewer`` may see it as anyone does (its author may; a
    moderator may see more: the page decides). None if there is no such post.

    One statement, run as its SQL text (app.listings.frozen), with no ORM object: the page
    about a post needs no more of it than its thread's other posts. Loaded as an ORM post with
    its author joined, beside its card, it cost about as much as the page's replies.
    """
    viewer_id = viewer.id if viewer.is_authenticated else None
    found = fetch_items(_one_item(), {"post_id": post_id, "viewer_id": viewer_id})
    return found[0] if found else None
