"""The home timeline's page query: fast whatever the number of posts.

The plain query (:meth:`app.models.User.following_posts`) makes the database look at every
post by every followed account to find the newest few. This one reads a number of index
entries that grows with the page size and the number of accounts followed, not with the number
of posts. Building it is slow for Python (it is large), so each shape is built once with bound
parameters and only the values change per page (a :class:`PreparedListing` of a shape of its
own).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.listings.keyset import PageQuery, PreparedListing
from app.listings.posts import POSTS_NEWEST_FIRST, PostCard, card_select
from app.models import Post, User, on_timeline_of, post_visible_to, timeline_authors_of
from app.models.follows import shown_on_home_of
from app.models.params import USER_ID

RECENT_WINDOW_PAGES = 10
"""How many pages' worth of the newest posts site-wide the home timeline looks at first.

Measured at 1,000,000 posts: a window row costs about half of what the by-author path pays per
followed account, and a window that misses the page is paid on top of that path. A short
window finds the page for people who see one post in ten site-wide (heavy followers) and costs
the others little; a longer one costs the reader of 100 accounts more than it saves anyone.
"""

# The sizes are written into the SQL text rather than sent as parameters (they take a few
# values, all from the page size). Knowing them, PostgreSQL's plan for the prepared statement
# that leaves out the reader's values is as good as one made for a reader, and it keeps that
# plan (instead of planning this large statement on every page, about 0.45 ms) once the
# readers' own plans look no cheaper: at once for heavy followers.
_PAGE_SIZE = sa.bindparam("page_size", type_=sa.Integer, literal_execute=True)
_WINDOW_SIZE = sa.bindparam("window_size", type_=sa.Integer, literal_execute=True)
_LAST_HEAD = sa.bindparam("last_head", type_=sa.Integer, literal_execute=True)
_ONE = sa.literal_column("1", sa.Integer)


class HomeTimeline(PreparedListing):
    """The home timeline of the reader ``user_id``, in :data:`POSTS_NEWEST_FIRST` order.

    Each page is one statement that finds the page in one of two ways, and the database runs
    only the one it needs:

    * *recent*: the ``RECENT_WINDOW_PAGES * limit`` posts beyond the position site-wide (a range
      of the (timestamp, id, ...) index, read in page order until a page of them is by
      timeline authors, a probe of the followers key each). When that finds a full page, it is
      the page: the usual case for people who follow active or many accounts.
    * otherwise *by author*, for people who follow rare posters: see :func:`_by_author`.
    """

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select[tuple[PostCard]]:
        """The statement for one direction, from the start or from a position; built once."""
        return _home_timeline_query(reverse, position)

    def limit_values(self, limit: int) -> dict[str, int]:
        """The page size, and the sizes of the recent window and of the by-author path."""
        return {
            "page_size": limit,
            "window_size": RECENT_WINDOW_PAGES * limit,
            "last_head": limit - 1,
        }


_HOME = HomeTimeline(POSTS_NEWEST_FIRST)


def home_timeline(user: User) -> PageQuery:
    """Pages of ``user``'s home timeline: the posts :meth:`User.following_posts` gives, read
    fast (``reverse`` walks back towards newer posts)."""
    return _HOME.pages(user_id=user.id, viewer_id=user.id)


def _home_timeline_query(reverse: bool, position: tuple | None) -> sa.Select[tuple[PostCard]]:
    authors = timeline_authors_of(USER_ID)
    # The first page-full of posts by timeline authors within the window (fewer if it has
    # fewer): one walk of the (timestamp, id) index in page order that stops at the last hit,
    # so it reads less than the window when the timeline is dense, and needs no sort.
    post = Post.__table__.alias("recent_post")
    hits = (
        _timeline_posts(post, position, reverse)
        .where(_within_window(post, position, reverse), on_timeline_of(USER_ID, post.c.user_id))
        .with_only_columns(post.c.id)
        .limit(_PAGE_SIZE)
        .cte("hits")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    enough = sa.select(sa.func.count()).select_from(hits).scalar_subquery() >= _PAGE_SIZE
    # A condition on no row is a constant to the database: it skips the unneeded half entirely.
    # It is put where the by-author work starts, on the authors it would read.
    needed = authors.subquery("needed")
    needed = sa.select(needed.c.user_id).where(sa.not_(enough))
    by_author = _by_author(needed, position, reverse)
    candidates = sa.union_all(
        sa.select(hits.c.id).where(enough), sa.select(by_author.c.id)
    ).subquery("candidates")
    return (
        card_select()
        .join(candidates, candidates.c.id == Post.id)
        .order_by(*POSTS_NEWEST_FIRST.ordering(reverse=reverse))
        .limit(_PAGE_SIZE)
    )


def _within_window(post: sa.FromClause, position, reverse: bool) -> sa.ColumnElement[bool]:
    """True for the posts of ``post`` in the recent window: a range of timestamps.

    The window is bounded by the timestamp of its last post (the ``window_size``-th beyond
    ``position`` site-wide, hidden or not), found by counting along the (timestamp, id) index
    alone; ties with that post are in, which only makes the window a little longer. No post
    beyond ``position``: NULL, and the window is empty.
    """
    newest_first = POSTS_NEWEST_FIRST.descending != reverse
    edge_post = Post.__table__.alias("window_post")
    columns = (edge_post.c.timestamp, edge_post.c.id)
    window = sa.select(edge_post.c.timestamp.label("at"))
    if position is not None:
        window = window.where(POSTS_NEWEST_FIRST.beyond(position, reverse, columns))
    window = (
        window.order_by(*POSTS_NEWEST_FIRST.ordering(reverse, columns))
        .limit(_WINDOW_SIZE)
        .subquery("window")
    )
    edge = sa.select((sa.func.min if newest_first else sa.func.max)(window.c.at))
    edge = edge.scalar_subquery()
    return post.c.timestamp >= edge if newest_first else post.c.timestamp <= edge


def _by_author(authors: sa.Select, position, reverse: bool) -> sa.Subquery:
    """Ids of at most page size ** 2 posts that include the page, found author by author.

    1. *heads*: each timeline author's first post beyond ``position`` (one seek each in the
       (user_id, timestamp, id) index);
    2. *top*: only authors with one of the page-size first heads can be on the page (a post by
       anyone else comes after that many heads of other people); ties are kept;
    3. *edge*: each of them contributes at most a page of their first posts, which bounds the
       index range read per author even for someone who posts all the time.
    """
    newest_first = POSTS_NEWEST_FIRST.descending != reverse
    authors = authors.subquery("authors")

    head_post = Post.__table__.alias("head_post")
    head = (
        _timeline_posts(head_post, position, reverse)
        .where(head_post.c.user_id == authors.c.user_id)
        .with_only_columns(head_post.c.timestamp)
        .limit(_ONE)
        .scalar_subquery()
    )
    heads = (
        sa.select(authors.c.user_id, head.label("head"))
        .cte("heads")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    last_head = (
        sa.select(heads.c.head)
        .where(heads.c.head.is_not(None))
        .order_by(heads.c.head.desc() if newest_first else heads.c.head.asc())
        .offset(_LAST_HEAD)
        .limit(_ONE)
        .scalar_subquery()
    )
    # Fewer heads than a page: every author with one is in.
    last_head = sa.func.coalesce(last_head, heads.c.head)
    keep = heads.c.head >= last_head if newest_first else heads.c.head <= last_head
    top = sa.select(heads.c.user_id).where(heads.c.head.is_not(None), keep).subquery("top")

    edge_post = Post.__table__.alias("edge_post")
    first_posts = (
        _timeline_posts(edge_post, position, reverse)
        .where(edge_post.c.user_id == top.c.user_id)
        .with_only_columns(edge_post.c.timestamp.label("at"))
        .limit(_PAGE_SIZE)
        .correlate(top)
        .subquery("first_posts")
    )
    edge = (sa.func.min if newest_first else sa.func.max)(first_posts.c.at)
    bounded = sa.select(top.c.user_id, sa.select(edge).scalar_subquery().label("edge")).subquery(
        "bounded"
    )

    post = Post.__table__.alias("page_post")
    at = post.c.timestamp
    within = at >= bounded.c.edge if newest_first else at <= bounded.c.edge
    return (
        _timeline_posts(post, position, reverse)
        .where(post.c.user_id == bounded.c.user_id, within)
        .with_only_columns(post.c.id)
        .limit(_PAGE_SIZE)
        .subquery("by_author")
    )


def _timeline_posts(post: sa.FromClause, position, reverse: bool) -> sa.Select:
    """Rows of ``post`` (the post table or an alias) in page order beyond ``position``.

    Every step above reads posts through here, so a rule about which posts may be shown on
    the timeline belongs here.
    """
    keyset = POSTS_NEWEST_FIRST
    columns = (post.c.timestamp, post.c.id)
    # Hidden posts and suspended authors' posts, except the reader's own; replies by the rule
    # of home (in the index: in_reply_to_user_id is its last column).
    stmt = sa.select(post).where(post_visible_to(post, USER_ID), shown_on_home_of(USER_ID, post))
    if position is not None:
        stmt = stmt.where(keyset.beyond(position, reverse=reverse, columns=columns))
    return stmt.order_by(*keyset.ordering(reverse=reverse, columns=columns))
