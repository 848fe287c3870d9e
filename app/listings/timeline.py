"""The home timeline's page query: fast whatever the number of posts, and for readers with a
home feed whatever the number of accounts they follow.

The plain query (:meth:`app.models.User.following_posts`) makes the database look at every
post by every followed account to find the newest few. This one reads the page from the
reader's home feed (:mod:`app.models.feed`): one range of its key, plus one index range per
followed account that is merged at page time, so its cost grows with the page size alone. A
page past the feed first makes it deeper (:func:`deepen_home_feed`). A page the feed cannot
answer (a reader without one, a write the database refused, a link hundreds of pages deep) is
read from the posts: a number of index entries that grows with the page size and the number
of accounts followed, not with the number of posts. Building it is slow for Python (it is
large), so each shape is built once with bound parameters and only the values change per page
(a :class:`PreparedListing` of a shape of its own).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import sqlalchemy as sa

from app.database import DriverStatement
from app.extensions import db
from app.listings.keyset import BadCursor, PageQuery, PreparedListing, decode_time_id
from app.listings.posts import POSTS_NEWEST_FIRST, PostCard, card_select
from app.models import (
    Post,
    User,
    followers,
    home_feed,
    home_feed_author,
    home_feed_horizon,
    home_feed_merged,
    on_timeline_of,
    post_visible_to,
    suspended_at_of,
    timeline_authors_of,
    user_stats,
)
from app.models.feed import build_home_feed, extend_home_feed, feed_settings, has_home_feed
from app.models.follows import shown_on_home_of
from app.models.params import USER_ID
from app.models.types import UTCDateTime, time_from_driver
from app.web.memo import Memo
from app.web.outages import optional_write

RECENT_WINDOW_PAGES = 10
"""How many pages' worth of the newest posts site-wide the home timeline looks at first.

Measured at 1,000,000 posts: a window row costs about half of what the by-author path pays per
followed account, and a window that misses the page is paid on top of that path. A short
window finds the page for people who see one post in ten site-wide (heavy followers) and costs
the others little; a longer one costs the reader of 100 accounts more than it saves anyone.
"""

RECENT_WIDE_WINDOW_PAGES = 160
"""The recent window's size, in pages, on PostgreSQL, for readers who follow at least
:data:`WIDE_WINDOW_FROM_PAGES` pages' worth of accounts (their stored ``following`` count).

Such readers see about one post in ten site-wide at L and one in fifty at XL, and 10 pages'
worth of posts can hold fewer than a page of theirs once the rule about replies leaves some
out: on the 2026-12-05 seeds the 2,000-follow reader's page 41 found 20 of the 26 rows it
needed at L and 8 at XL, and the page then sought the first posts of all 2,000 accounts
(SQLite at L 9-11 ms instead of 1.8; PostgreSQL at XL 31-56 ms and 9,547 buffers instead of
7-12 ms and 561, replayed at load 8-12). PostgreSQL walks the window's index alone and checks
each post against one hash of the follows, so 4,000 posts cost less than the seeks of a few
hundred accounts; SQLite seeks the follows' key for each post (see
:data:`RECENT_WIDE_WINDOW_PAGES_ON_SQLITE`).
"""
RECENT_WIDE_WINDOW_PAGES_ON_SQLITE = 40
"""The wide window on SQLite: there each post of it costs a seek of the follows' key, and at
160 pages counting the window's edge alone cost the 2,000-follow reader's page 41 2 ms more
than at 40, which finds its page at L."""

WIDE_WINDOW_FROM_PAGES = 40
"""Readers who follow at least this many pages' worth of accounts get the wide window. When
it misses too, the walk it wasted is paid on top of the by-author path, which seeks each
followed account: for these readers that path costs more than the walk (on SQLite, where a
window post costs about half an account's seek, as much at most). Readers of fewer accounts
keep the short window: a missed 40-page window doubled the 100-follow reader's page 41."""

MERGED_SAMPLE_PAGES = 2
"""How many pages' worth of followed merged accounts a page from the feed takes, those that
posted last, to find where the page ends before probing the others (see
:func:`_merged_cutoff`)."""

MERGED_STREAM_PAGES = 16
"""How many pages' worth of ``home_feed_merged`` (merged accounts' posts, newest first)
a page from the feed walks for the posts of the merged accounts its reader follows, before it
probes those accounts one by one instead (see :func:`_merged_stream`)."""
MERGED_STREAM_ON_SQLITE = False
"""Whether SQLite's pages walk the merged accounts' posts too. Not by default: its seeks
of each account cost little (no buffer manager between it and the pages), and at L the
statement with the walk in it cost 0.02-0.05 ms more per page, walked or not (the tests walk
there too)."""
MERGED_STREAM_FROM_PAGES = 4
"""The walk is only tried for readers who follow more than this many pages' worth of merged
accounts that posted since the page's bound: probing fewer costs less than a walk that would
mostly find other people's posts."""

# The sizes are written into the SQL text rather than sent as parameters (they take a few
# values, all from the page size). Knowing them, PostgreSQL's plan for the prepared statement
# that leaves out the reader's values is as good as one made for a reader, and it keeps that
# plan (instead of planning this large statement on every page, about 0.45 ms) once the
# readers' own plans look no cheaper: at once for heavy followers.
_PAGE_SIZE = sa.bindparam("page_size", type_=sa.Integer, literal_execute=True)
_WINDOW_SIZE = sa.bindparam("window_size", type_=sa.Integer, literal_execute=True)
_WIDE_WINDOW_SIZE = sa.bindparam("wide_window_size", type_=sa.Integer, literal_execute=True)
_WIDE_WINDOW_FROM = sa.bindparam("wide_window_from", type_=sa.Integer, literal_execute=True)
_LAST_HEAD = sa.bindparam("last_head", type_=sa.Integer, literal_execute=True)
_SAMPLE_SIZE = sa.bindparam("sample_size", type_=sa.Integer, literal_execute=True)
_STREAM_LAST = sa.bindparam("stream_last", type_=sa.Integer, literal_execute=True)
_STREAM_FROM = sa.bindparam("stream_from", type_=sa.Integer, literal_execute=True)
_STREAM_COUNT = sa.bindparam("stream_count", type_=sa.Integer, literal_execute=True)
_ONE = sa.literal_column("1", sa.Integer)


def _posts(name: str) -> sa.FromClause:
    """An alias of the post table named ``name``: where pages read followed accounts' posts."""
    return Post.__table__.alias(name)


def _merged_posts(name: str) -> sa.FromClause:
    """The posts pages read of merged accounts, from ``home_feed_merged`` by author (its
    ``(author_id, timestamp, post_id, hidden_at, in_reply_to_user_id)`` index), under the
    post table's column names: a merged account's replies to accounts that are not merged
    are in the feeds instead (app.models.feed), so a page never walks past those it does
    not show. A subquery both databases merge into the statement."""
    row = home_feed_merged.alias(name + "_row")
    return sa.select(
        row.c.timestamp,
        row.c.post_id.label("id"),
        row.c.author_id.label("user_id"),
        row.c.hidden_at,
        row.c.in_reply_to_user_id,
    ).subquery(name)


class HomeTimeline(PreparedListing):
    """The home timeline of the reader ``user_id``, in :data:`POSTS_NEWEST_FIRST` order.

    Each page is one statement that finds the page in one of three ways, and the database
    runs only what it needs:

    * *feed*: the reader's home feed and the followed accounts merged at page time (see
      :func:`_from_feed`), when the page lies where the feed is complete: the usual case;
    * otherwise *recent*: the ``RECENT_WINDOW_PAGES * limit`` posts beyond the position
      site-wide (more for readers of many accounts: :data:`RECENT_WIDE_WINDOW_PAGES`; a range
      of the (timestamp, id, ...) index, read in page order until a page of them is by
      timeline authors, a probe of the followers key each). When that finds a full page, it
      is the page: the usual case for people who follow active or many accounts.
    * otherwise *by author*, for people who follow rare posters: see :func:`_by_author`.

    The last two read the posts, at a cost that grows with the number of accounts followed.
    """

    literal = (
        "page_size",
        "window_size",
        "wide_window_size",
        "wide_window_from",
        "last_head",
        "sample_size",
        "stream_last",
        "stream_from",
        "stream_count",
    )

    def statement(self, reverse: bool, positioned: bool) -> sa.Select[tuple[PostCard]]:
        """The statement for one direction, from the start or from a position, with the walk
        of the merged accounts' posts or without it (:data:`MERGED_STREAM_ON_SQLITE`); built
        once each."""
        walk = MERGED_STREAM_ON_SQLITE or db.session.get_bind().dialect.name != "sqlite"
        key = (reverse, positioned, walk)
        stmt = self._statements.get(key)
        if stmt is None:
            stmt = _home_timeline_query(reverse, self.position if positioned else None, walk)
            self._statements[key] = stmt
        return stmt

    def page_statement(self, reverse: bool, position: tuple | None) -> sa.Select[tuple[PostCard]]:
        """The statement for one direction, from the start or from a position."""
        return _home_timeline_query(reverse, position, walk=True)

    def limit_values(self, limit: int) -> dict[str, int]:
        """The page size, and the sizes of the recent windows and of the by-author path."""
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        wide_pages = RECENT_WIDE_WINDOW_PAGES_ON_SQLITE if sqlite else RECENT_WIDE_WINDOW_PAGES
        return {
            "page_size": limit,
            "window_size": RECENT_WINDOW_PAGES * limit,
            "wide_window_size": wide_pages * limit,
            "wide_window_from": WIDE_WINDOW_FROM_PAGES * limit,
            "last_head": limit - 1,
            "sample_size": MERGED_SAMPLE_PAGES * limit,
            "stream_last": MERGED_STREAM_PAGES * limit - 1,
            "stream_from": MERGED_STREAM_FROM_PAGES * limit,
            "stream_count": MERGED_STREAM_FROM_PAGES * limit + 1,
        }


_HOME = HomeTimeline(POSTS_NEWEST_FIRST)


def home_timeline(user: User) -> PageQuery:
    """Pages of ``user``'s home timeline: the posts :meth:`User.following_posts` gives, read
    fast (``reverse`` walks back towards newer posts)."""
    return _HOME.pages(user_id=user.id, viewer_id=user.id)


FEED_KNOWN_SECONDS = 600
"""How long a process remembers that a reader has a home feed (without asking again)."""
_HAS_FEED: Memo[bool] = Memo("home_feed", FEED_KNOWN_SECONDS, size=100_000)


def build_missing_home_feed(user: User) -> bool:
    """Build ``user``'s home feed if they have none yet, and commit: True if this did.

    A GET that writes, as a cache fill: ``flask fake`` leaves every feed to be built on its
    reader's first home visit (:func:`app.models.feed.build_home_feed`, 10-50 ms at XL on a
    busy machine), and every later page reads it. Any reader who may see home gets one, an
    unconfirmed one too (the feed holds what their page shows anyway, the plain query's
    posts); a suspended one is logged out before the view runs. It never fails the page: if
    the database refuses the write (read-only for a moment, out of space) or anything else
    goes wrong, the build is rolled back and logged, and the page is read from the posts, as
    it was before the feed existed; the next visit tries again.

    Whether the reader has a feed is asked once per process every :data:`FEED_KNOWN_SECONDS`
    (a probe of ``home_feed_horizon``'s key cost 55 µs of CPU on SQLite, 190 µs and a round
    trip on PostgreSQL, on every home page). Feeds are only taken away in bulk (a load that
    sets the triggers aside, a reset before a seed), and a reader remembered with a feed that
    is gone gets pages read from the posts meanwhile: the same posts, only dearer.
    """
    user_id = user.id  # the commit (or rollback) below expires the loaded user
    if _HAS_FEED.get(user_id, lambda: has_home_feed(db.session.connection(), user_id)):
        return False
    _HAS_FEED.forget(user_id)
    with optional_write("build the home feed"):
        built = build_home_feed(db.session.connection(), user_id)
        db.session.commit()
        _HAS_FEED.get(user_id, lambda: True)  # built now, or by another request meanwhile
        return built
    return False


DEEPEN_MARGIN = 4
"""A page that starts less than the feed's size divided by this many rows above the reader's
horizon (or below it) makes the feed go deeper first (:func:`deepen_home_feed`): 100 rows,
four pages, at the default size. Some rows are replies or hidden posts the reader is not
shown, and a page the feed cannot fill is read from the posts."""
DEEPEN_AT_MOST = 8
"""How many times one page makes its reader's feed go deeper (each by the feed's size) before
it is read from the posts anyway: a link straight to a page hundreds deep does not hold the
database's write lock for long; the next page goes deeper again."""


def deepen_home_feed(user: User, after: str | None) -> int:
    """Make ``user``'s feed reach the page after the cursor ``after``, and commit: how many
    times it went deeper (:func:`app.models.feed.extend_home_feed`).

    Pages past the feed were read from the posts, which seeks the newest post of every
    followed account: a cost that grows with the accounts followed (at L, page 41 of the
    1,876-follow rare posters' reader: 9 ms on SQLite, 17 on PostgreSQL). A deeper feed makes
    them one range of it, as page 1 is. A GET that writes, as the feed's first build does, and
    like it never fails the page (:func:`optional_write`); a page within the feed pays one
    probe of the horizon and a count of at most a quarter of the feed's rows.
    The feed's next trim cuts it back to its size.
    """
    if after is None:
        return 0
    try:
        position = decode_time_id(after)
    except BadCursor:
        return 0  # the page answers it (a 400)
    user_id, margin = user.id, max(1, feed_settings()[0] // DEEPEN_MARGIN)
    deepened = 0
    while deepened < DEEPEN_AT_MOST and (horizon := _feed_ends_near(user_id, position, margin)):
        with optional_write("make the home feed deeper"):
            # Pages asking at once: the others find the horizon moved and look again.
            extended = extend_home_feed(db.session.connection(), user_id, seen=horizon)
            db.session.commit()
            if extended:
                deepened += 1
                continue
        break
    return deepened


def _feed_ends_near(user_id: int, position: tuple, margin: int) -> tuple | None:
    """``user_id``'s feed's horizon (time, post id) if the feed is not complete from its first
    post and holds fewer than ``margin`` rows between the horizon and ``position`` (none if it
    is below the horizon); else None."""
    connection = db.session.connection()
    values = {"reader": user_id, "at": position[0], "post_id": position[1], "margin": margin}
    found = _feed_end_statement(connection.dialect).execute(connection, values).first()
    if found is None:
        return None
    return time_from_driver(connection.dialect)(found[0]), found[1]


@cache
def _feed_end_statement(dialect: sa.Dialect) -> DriverStatement:
    """:func:`_feed_ends_near`'s statement as compiled text: built per request (its aliases,
    its cache key), it cost as much of the app's CPU as the page's own (about 1 ms at L)."""
    horizon, floor = home_feed_horizon.alias("horizon"), home_feed_horizon.alias("floor")
    entry = home_feed.alias("entry")
    columns = (entry.c.timestamp, entry.c.post_id)
    reader = sa.bindparam("reader", type_=sa.Integer)
    position = (sa.bindparam("at", type_=UTCDateTime), sa.bindparam("post_id", type_=sa.Integer))
    margin = sa.bindparam("margin", type_=sa.Integer)
    between = (
        sa.select(_ONE)
        .select_from(entry.join(floor, floor.c.user_id == entry.c.user_id))
        .where(
            entry.c.user_id == reader,
            _past(position, False, columns),
            sa.tuple_(*columns) >= sa.tuple_(floor.c.timestamp, floor.c.post_id),
        )
        .limit(margin)
        .subquery()
    )
    rows = sa.select(sa.func.count()).select_from(between).scalar_subquery()
    near = sa.select(horizon.c.timestamp, horizon.c.post_id).where(
        horizon.c.user_id == reader, horizon.c.timestamp.is_not(None), rows < margin
    )
    return DriverStatement(near, dialect)


def _home_timeline_query(
    reverse: bool, position: tuple | None, walk: bool
) -> sa.Select[tuple[PostCard]]:
    # The page from the reader's feed when it can be trusted, else from the posts: both are
    # in the statement, and the database runs only the one it needs (a condition on no row is
    # a constant to it: it skips the other half entirely).
    fast, from_feed = _from_feed(reverse, position, walk)
    from_posts = sa.not_(from_feed)
    authors = timeline_authors_of(USER_ID)
    # The first page-full of posts by timeline authors within the window (fewer if it has
    # fewer): one walk of the (timestamp, id) index in page order that stops at the last hit,
    # so it reads less than the window when the timeline is dense, and needs no sort.
    post = Post.__table__.alias("recent_post")
    hits = (
        _timeline_posts(post, position, reverse, first=on_timeline_of(USER_ID, post.c.user_id))
        .where(_within_window(post, position, reverse, from_posts))
        .with_only_columns(post.c.id)
        .limit(_PAGE_SIZE)
        .cte("hits")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    enough = sa.select(sa.func.count()).select_from(hits).scalar_subquery() >= _PAGE_SIZE
    # Put where the by-author work starts, as a one-row table before the authors: neither
    # database hoists a condition with subqueries out of a loop, but both skip the loop when
    # the table before it is empty.
    needed = authors.subquery("needed")
    gate = sa.select(_ONE.label("go")).where(from_posts, sa.not_(enough)).subquery("gate")
    needed = sa.select(needed.c.user_id).select_from(gate.join(needed, sa.true()))
    by_author = _by_author(needed, position, reverse)
    candidates = sa.union_all(
        sa.select(fast.c.id).where(from_feed),
        sa.select(hits.c.id).where(enough),
        sa.select(by_author.c.id),
    ).subquery("candidates")
    return (
        card_select()
        .join(candidates, candidates.c.id == Post.id)
        .order_by(*POSTS_NEWEST_FIRST.ordering(reverse=reverse))
        .limit(_PAGE_SIZE)
    )


def _from_feed(reverse: bool, position, walk: bool) -> tuple[sa.CTE, sa.ColumnElement[bool]]:
    """The page read from the reader's feed (:mod:`app.models.feed`): a CTE of at most a page
    of (id, at), and whether it is the page.

    The candidates are the feed's first page-size rows beyond ``position`` that the reader may
    see (one range of its primary key, checked against their posts; of merged authors other
    than the reader it holds only their replies fanned out), and the first posts of the
    followed merged accounts that can be on the page, from ``home_feed_merged``
    (:func:`_merged_posts`): those whose newest post is no
    older than the page's lower bound (the last of those feed rows, or the horizon if they
    are fewer; walking back, the position), a range of ``home_feed_author``'s time index, so
    a reader following 132 merged accounts probes the few that posted since, not all of them.
    Walking towards older posts, that bound is first raised to where the page must end
    (:func:`_merged_cutoff`): a reader following 2,000 merged accounts at XL probes about 50
    of them, not the 1,482 that posted since its feed rows' oldest.
    The feed holds every post by the others from its horizon on, so the page is right when
    all of it is at or above the horizon: when it fills a page there (walking towards older
    posts), or starts at or above it (walking back towards newer ones); always when the feed
    is complete from the first post (a horizon of NULL). A page that starts below the horizon
    (page 41 is past every feed) or a reader without a feed (no horizon) never reads it: the
    condition names no row, so the database skips the feed part entirely.
    """
    newest_first = POSTS_NEWEST_FIRST.descending != reverse
    horizon = home_feed_horizon.alias("horizon")
    at_or_above = sa.true() if position is None else _at_or_above(position, horizon)
    usable = (
        sa.select(horizon.c.user_id)
        .where(horizon.c.user_id == USER_ID, sa.or_(horizon.c.timestamp.is_(None), at_or_above))
        .exists()
    )
    entry = home_feed.alias("feed_entry")
    post = Post.__table__.alias("feed_post")
    columns = (entry.c.timestamp, entry.c.post_id)
    rows = (
        sa.select(entry.c.post_id.label("id"), entry.c.timestamp.label("at"))
        .join(post, post.c.id == entry.c.post_id)
        .where(
            usable,
            entry.c.user_id == USER_ID,
            post_visible_to(post, USER_ID),
            _shown_on_home(post, probe=True),
        )
    )
    if position is not None:
        rows = rows.where(_past(position, reverse, columns))
    rows = (
        rows.order_by(*POSTS_NEWEST_FIRST.ordering(reverse, columns))
        .limit(_PAGE_SIZE)
        .cte("feed_rows")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    if reverse:
        # Walking back: the page is newer than the position (None: the feed is not used).
        bound = position[0] if position is not None else _FIRST_TIME
    else:
        found = sa.select(sa.func.count()).select_from(rows).scalar_subquery()
        oldest = sa.select(sa.func.min(rows.c.at)).scalar_subquery()
        at_horizon = (
            sa.select(horizon.c.timestamp).where(horizon.c.user_id == USER_ID).scalar_subquery()
        )
        bound = sa.case(
            (found >= _PAGE_SIZE, oldest), else_=sa.func.coalesce(at_horizon, _FIRST_TIME)
        )
    # Followed accounts merged at page time that posted since the bound: a range of the
    # author index, then a probe of the follows' key each. The reader's own posts, merged
    # or not, are in their feed.
    author = home_feed_author.c.user_id
    follows = (
        sa.select(followers.c.followed_id)
        .where(followers.c.follower_id == USER_ID, followers.c.followed_id == author)
        .exists()
    )
    bound = _once(bound, "feed_bound")
    merged = (
        sa.select(author, home_feed_author.c.timestamp)
        .where(usable, home_feed_author.c.timestamp >= bound, follows)
        .cte("merged_followed")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    # Their posts from one walk of all merged accounts' posts when the reader follows many of
    # them (and ``walk``); if that walk is too short to be sure of the page, or they are few,
    # by probing each account.
    branches = []
    if walk:
        # Counted up to one more than the gate: the 2,000-follow reader's page 41 at XL
        # counted all 1,566 followed merged accounts that posted since its bound (a fifth of
        # its statement's CPU) to learn that there were more than 104.
        counted = sa.select(merged.c.user_id).limit(_STREAM_COUNT).subquery("merged_counted")
        many = sa.select(sa.func.count()).select_from(counted).scalar_subquery() > _STREAM_FROM
        stream, covered = _merged_stream(position, reverse, bound, _once(many, "merged_many"))
        branches.append(sa.select(stream.c.id, stream.c.at).where(covered))
    if not reverse:
        bound = _once(_merged_cutoff(merged, bound, rows, position), "merged_bound")
    # Probed only if the walk is not enough (neither database runs what a false condition
    # on no row guards).
    merged = sa.select(merged.c.user_id).where(merged.c.timestamp >= bound)
    if walk:
        merged = merged.where(sa.not_(covered))
    # Their posts from the bound on: older ones are below a page-full of feed rows, or below
    # the horizon (where the page is not read from the feed at all).
    merged_posts = _by_author(
        merged, position, reverse, prefix="merged_", since=bound, probe=True, source=_merged_posts
    )
    both = sa.union_all(
        sa.select(rows.c.id, rows.c.at),
        *branches,
        sa.select(merged_posts.c.id, merged_posts.c.at),
    ).subquery("feed_candidates")
    fast = (
        sa.select(both.c.id, both.c.at).order_by(both.c.at.desc(), both.c.id.desc())
        if newest_first
        else sa.select(both.c.id, both.c.at).order_by(both.c.at, both.c.id)
    )
    fast = fast.limit(_PAGE_SIZE).cte("fast").prefix_with("MATERIALIZED", dialect="postgresql")

    complete = (
        sa.select(horizon.c.user_id)
        .where(horizon.c.user_id == USER_ID, horizon.c.timestamp.is_(None))
        .exists()
    )
    if not reverse:
        # Towards older posts: a page-full at or above the horizon.
        above = sa.or_(
            fast.c.at > horizon.c.timestamp,
            sa.and_(fast.c.at == horizon.c.timestamp, fast.c.id >= horizon.c.post_id),
        )
        trusted = (
            sa.select(sa.func.count())
            .select_from(fast)
            .join(horizon, horizon.c.user_id == USER_ID)
            .where(above)
            .scalar_subquery()
            >= _PAGE_SIZE
        )
    elif position is not None:
        # Towards newer posts, from a position at or above the horizon.
        trusted = usable
    else:
        trusted = sa.false()
    return fast, sa.or_(complete, trusted)


def _merged_stream(
    position, reverse: bool, since: sa.ColumnElement, wanted: sa.ColumnElement[bool]
) -> tuple[sa.CTE, sa.ColumnElement[bool]]:
    """The first page-size posts beyond ``position`` (from ``since`` on) of the merged
    accounts the reader follows, read from ``home_feed_merged`` (a CTE of id and ``at``; empty
    unless ``wanted``), and whether they are all of those that can be on the page.

    The walk reads ``home_feed_merged`` in page order and keeps the rows of followed accounts
    other than the reader that home shows the reader (the rule for replies from the row, a
    probe of the follows' key for each; then whether the post is hidden or its author
    suspended, from the post), but goes no further than ``stream_last + 1`` rows (its
    *edge*): a reader shown a share s of the merged accounts' posts finds a page in about page
    size / s rows, whatever the number of accounts they follow. The 2,000-follow reader at XL
    is shown about one in ten; probing each account that posted since the page's bound took
    816 index seeks on its page 41. The result is sure when it holds a page, or when the walk
    met no edge (fewer rows than that from ``since`` on): every merged post from there to the
    position was seen. Otherwise the page probes the accounts one by one, as it does when
    they are few (not ``wanted``).
    """
    newest_first = POSTS_NEWEST_FIRST.descending != reverse
    walked = home_feed_merged.alias("merged_stream_edge_row")
    columns = (walked.c.timestamp, walked.c.post_id)
    edge = sa.select(walked.c.timestamp).where(walked.c.timestamp >= since)
    if position is not None:
        edge = edge.where(POSTS_NEWEST_FIRST.beyond(position, reverse, columns))
    edge = (
        edge.order_by(*POSTS_NEWEST_FIRST.ordering(reverse, columns))
        .offset(_STREAM_LAST)
        .limit(_ONE)
        .scalar_subquery()
    )
    # Where the walk ends: the edge or, without one, where the rows end (walking towards older
    # posts, ``since``: one lower bound, as SQLite walks a range by one of them and tests the
    # other on each row). Not wanted: a bound no row passes, so that neither database reads
    # any (as conditions of their own, SQLite walked the rows testing them: 0.06 ms more a
    # page at L for the 100-follow reader).
    edge = _once(sa.case((wanted, edge)), "merged_stream_edge")
    no_edge, nothing = (since, _LAST_TIME) if newest_first else (_LAST_TIME, _FIRST_TIME)
    end = sa.case((wanted, sa.func.coalesce(edge, no_edge)), else_=nothing)
    end = _once(end, "merged_stream_end")

    row = home_feed_merged.alias("merged_stream")
    columns = (row.c.timestamp, row.c.post_id)
    post = Post.__table__.alias("merged_stream_post")
    visible = (
        sa.select(post.c.id)
        .where(post.c.id == row.c.post_id, post_visible_to(post, USER_ID))
        .exists()
    )

    def followed(account: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        # A probe of the follows' key per row, as a scalar subquery: as an EXISTS PostgreSQL
        # may turn it into a join and drive the walk from the follows instead, by the author
        # index of home_feed_merged (the 2,000-follow reader's page at XL: 2,000 seeks, 3.4 ms,
        # instead of walking the rows in page order).
        return (
            sa.select(_ONE)
            .where(followers.c.follower_id == USER_ID, followers.c.followed_id == account)
            .scalar_subquery()
            .is_not(None)
        )

    answered = row.c.in_reply_to_user_id
    shown = sa.or_(answered.is_(None), answered == USER_ID, followed(answered))
    within = (
        row.c.timestamp >= end
        if newest_first
        else sa.and_(row.c.timestamp >= since, row.c.timestamp <= end)
    )
    rows = sa.select(row.c.post_id.label("id"), row.c.timestamp.label("at")).where(within)
    if position is not None:
        rows = rows.where(_past(position, reverse, columns))
    rows = (
        rows.where(row.c.author_id != USER_ID, shown, followed(row.c.author_id), visible)
        .order_by(*POSTS_NEWEST_FIRST.ordering(reverse, columns))
        .limit(_PAGE_SIZE)
        .cte("merged_stream_rows")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    found = sa.select(sa.func.count()).select_from(rows).scalar_subquery()
    # Sure of the page: the walk was wanted, and found a page or met no edge (it went as far
    # as ``since`` or the last row).
    sure = sa.or_(found >= _PAGE_SIZE, edge.is_(None))
    return rows, _once(sa.case((wanted, sure), else_=sa.false()), "merged_stream_covered")


def _past(position: tuple, reverse: bool, columns: tuple) -> sa.ColumnElement[bool]:
    """Rows whose (time, id) ``columns`` come after ``position`` in page order, as one
    row-value comparison.

    Where a page's rows are one range of an index (the reader's feed, the merged accounts'
    posts down to the walk's edge), PostgreSQL's generic plan took the spelled-out
    form (:meth:`~app.listings.keyset.Keyset.beyond`) to keep about a third as many rows,
    fewer than a page: it then read the whole range by a bitmap and sorted it, instead of
    walking the index in page order up to the page's last row. The 2,000-follow reader's
    page 41 at XL read all 276 feed rows beyond the position (1,106 buffers) and all 417
    posts to the walk's edge (a hash of the 2,000 follows besides) for its 26 of each.
    Compared as a row, the position is one index condition, and the walk stops at the page.
    SQLite seeks the same index range either way (``(timestamp,post_id)<(?,?)`` in its
    plan).
    """
    smaller = POSTS_NEWEST_FIRST.descending != reverse
    row, at = sa.tuple_(*columns), sa.tuple_(*position)
    return row < at if smaller else row > at


def _once(value: sa.ColumnElement, name: str) -> sa.ScalarSelect:
    """``value`` worked out once per page (a one-row CTE named ``name``), however many times
    the statement uses it."""
    cte = sa.select(value.label("at")).cte(name).prefix_with("MATERIALIZED", dialect="postgresql")
    return sa.select(cte.c.at).scalar_subquery()


def _merged_cutoff(
    merged: sa.CTE, bound: sa.ColumnElement, rows: sa.CTE, position
) -> sa.ColumnElement:
    """A lower bound of the merged accounts' posts that can be on the page, no lower than
    ``bound``, for a page walking towards older posts.

    Of the ``merged`` accounts (followed, posted since ``bound``), the ``sample_size`` whose
    stored newest post is newest are looked at: each one's first post beyond ``position``
    (none if their newest posts are replies home does not show, hidden, or before
    ``bound``). The page-size-th newest of those posts and of the page's feed ``rows`` is the
    cutoff: that many posts at or above it are candidates, so no older post can be on the
    page, and an account whose newest post is older need not be probed.
    """
    sample = (
        sa.select(merged.c.user_id)
        .order_by(merged.c.timestamp.desc())
        .limit(_SAMPLE_SIZE)
        .subquery("merged_sample")
    )
    head_post = _merged_posts("merged_sample_post")
    head = (
        _timeline_posts(head_post, position, False, bound, probe=True)
        .where(head_post.c.user_id == sample.c.user_id)
        .with_only_columns(head_post.c.timestamp)
        .limit(_ONE)
        .scalar_subquery()
    )
    heads = sa.select(head.label("at")).select_from(sample).subquery("merged_sample_heads")
    candidates = sa.union_all(sa.select(rows.c.at), sa.select(heads.c.at)).subquery(
        "page_candidates"
    )
    # NULLs (accounts without such a post) last, not filtered out: a condition on the head
    # made PostgreSQL look for each one twice.
    cutoff = (
        sa.select(candidates.c.at)
        .order_by(candidates.c.at.desc().nulls_last())
        .offset(_LAST_HEAD)
        .limit(_ONE)
        .scalar_subquery()
    )
    cutoff = _once(cutoff, "merged_cutoff")
    # Only for more accounts than the sample (else the sample is all of them, and finding
    # their first posts twice costs what it saves); never below the bound (feed rows can be
    # below the horizon); no cutoff (fewer candidates than a page): the bound. Both
    # databases work out a subquery only when the condition that names it is reached.
    many = sa.select(sa.func.count()).select_from(merged).scalar_subquery() > _SAMPLE_SIZE
    return sa.case((sa.and_(many, cutoff > bound), cutoff), else_=bound)


_FIRST_TIME = sa.literal(datetime(1, 1, 1, tzinfo=UTC), UTCDateTime)
"""Before any post: the lower bound of a page from a feed complete from the first post."""
_LAST_TIME = sa.literal(datetime(9999, 12, 31, tzinfo=UTC), UTCDateTime)
"""After every post: the upper bound of a walk towards newer posts that has no edge."""


def _at_or_above(position: tuple, horizon: sa.FromClause) -> sa.ColumnElement[bool]:
    """True when ``position`` (time, id) is at or above the reader's ``horizon`` row."""
    at, post_id = position
    return sa.or_(
        at > horizon.c.timestamp,
        sa.and_(at == horizon.c.timestamp, post_id >= horizon.c.post_id),
    )


def _within_window(
    post: sa.FromClause, position, reverse: bool, when: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """True for the posts of ``post`` in the recent window: a range of timestamps (none unless
    ``when``).

    The window is bounded by the timestamp of its last post (the ``window_size``-th beyond
    ``position`` site-wide, hidden or not; the ``wide_window_size``-th for a reader who
    follows ``wide_window_from`` accounts or more, :data:`RECENT_WIDE_WINDOW_PAGES`), found by
    counting along the (timestamp, id) index alone; ties with that post are in, which only
    makes the window a little longer. No post beyond ``position``: NULL, and the window is empty.
    """
    newest_first = POSTS_NEWEST_FIRST.descending != reverse

    def edge_of(size: sa.BindParameter, name: str) -> sa.ScalarSelect:
        edge_post = Post.__table__.alias(name + "_post")
        columns = (edge_post.c.timestamp, edge_post.c.id)
        window = sa.select(edge_post.c.timestamp.label("at"))
        if position is not None:
            window = window.where(POSTS_NEWEST_FIRST.beyond(position, reverse, columns))
        window = (
            window.order_by(*POSTS_NEWEST_FIRST.ordering(reverse, columns))
            .limit(size)
            .subquery(name)
        )
        return sa.select(
            (sa.func.min if newest_first else sa.func.max)(window.c.at)
        ).scalar_subquery()

    following = (
        sa.select(user_stats.c.following).where(user_stats.c.user_id == USER_ID).scalar_subquery()
    )
    # NULL unless ``when``: the database then neither counts the window nor walks the range.
    # (As a condition of its own it was tested on every post of the window: 0.14 ms of a
    # 0.5 ms page read from the feed, and the authors below another 0.15 ms.) Only the branch
    # taken is counted: the other window's subquery is never run.
    edge = sa.case(
        (sa.and_(when, following >= _WIDE_WINDOW_FROM), edge_of(_WIDE_WINDOW_SIZE, "wide_window")),
        (when, edge_of(_WINDOW_SIZE, "window")),
    )
    return post.c.timestamp >= edge if newest_first else post.c.timestamp <= edge


def _by_author(
    authors: sa.Select,
    position,
    reverse: bool,
    prefix: str = "",
    since=None,
    probe: bool = False,
    source=_posts,
) -> sa.Subquery:
    """Ids (and times, ``at``) of at most page size ** 2 posts that include the page, found
    author by author (names of its parts start with ``prefix``; only posts from ``since`` on,
    if given; read from ``source``'s, :func:`_posts` or :func:`_merged_posts`).

    1. *heads*: each timeline author's first post beyond ``position`` (one seek each in the
       (user_id, timestamp, id) index);
    2. *top*: only authors with one of the page-size first heads can be on the page (a post by
       anyone else comes after that many heads of other people); ties are kept;
    3. *edge*: each of them contributes at most a page of their first posts, which bounds the
       index range read per author even for someone who posts all the time.

    Newest first, no post on the page is older than the page-size-th head, the *head
    bound*: that many heads, all different posts, come before it. Step 3 reads each
    author's posts down to there at most (one bound of the index range, worked out once), so
    an author whose head is near that bound is read a few entries deep, not a page, and the
    edge, which is within it, bounds step 4 too: the 100-follow reader's page 41 at L
    (SQLite) ran in 0.70 ms instead of 1.04.
    """
    newest_first = POSTS_NEWEST_FIRST.descending != reverse
    authors = authors.subquery(prefix + "authors")

    head_post = source(prefix + "head_post")
    head = (
        _timeline_posts(head_post, position, reverse, since, probe, author_checked=True)
        .where(head_post.c.user_id == authors.c.user_id)
        .with_only_columns(head_post.c.timestamp)
        .limit(_ONE)
        .scalar_subquery()
    )
    # Suspended authors (but the reader) are left out here, one probe each, so their posts
    # below need no probe of their author each.
    shown_author = sa.or_(
        authors.c.user_id == USER_ID, suspended_at_of(authors.c.user_id).is_(None)
    )
    heads = (
        sa.select(authors.c.user_id, head.label("head"))
        .where(shown_author)
        .cte(prefix + "heads")
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
    if newest_first:
        # Fewer heads than a page: every author with one is in, and the bound is ``since``
        # (or before any post). Worked out once: as a scalar subquery in each author's range,
        # SQLite ran it for every author.
        far_end = _FIRST_TIME if since is None else since
        head_bound = _once(sa.func.coalesce(last_head, far_end), prefix + "head_bound")
        keep = heads.c.head >= head_bound
    else:
        # Walking back (towards newer posts) the head bound would be the upper end of each
        # author's range, which SQLite did not use as one (it tested it on each post read):
        # those pages read each author's first page-size posts, as before.
        keep = heads.c.head <= sa.func.coalesce(last_head, heads.c.head)
    top = sa.select(heads.c.user_id).where(heads.c.head.is_not(None), keep).subquery(prefix + "top")

    edge_post = source(prefix + "edge_post")
    # Newest first, the head bound takes the place of ``since`` (it is at or after it).
    first_posts = _timeline_posts(
        edge_post,
        position,
        reverse,
        head_bound if newest_first else since,
        probe,
        author_checked=True,
    )
    first_posts = (
        first_posts.where(edge_post.c.user_id == top.c.user_id)
        .with_only_columns(edge_post.c.timestamp.label("at"))
        .limit(_PAGE_SIZE)
        .correlate(top)
        .subquery(prefix + "first_posts")
    )
    edge = (sa.func.min if newest_first else sa.func.max)(first_posts.c.at)
    bounded = sa.select(top.c.user_id, sa.select(edge).scalar_subquery().label("edge")).subquery(
        "bounded"
    )

    post = source(prefix + "page_post")
    at = post.c.timestamp
    within = at >= bounded.c.edge if newest_first else at <= bounded.c.edge
    # Newest first, the edge is within the head bound and ``since`` already: a second lower
    # bound here made SQLite read each range from the looser one, so a merged account's
    # page read every post it wrote since the page's oldest feed row (300 posts took home's
    # statement from 0.5 to 2.9 ms at L), and the head bound cost 0.3 ms on page 41.
    return (
        _timeline_posts(
            post, position, reverse, None if newest_first else since, probe, author_checked=True
        )
        .where(post.c.user_id == bounded.c.user_id, within)
        .with_only_columns(post.c.id, post.c.timestamp.label("at"))
        .limit(_PAGE_SIZE)
        .subquery(prefix + "by_author")
    )


def _timeline_posts(
    post: sa.FromClause,
    position,
    reverse: bool,
    since=None,
    probe: bool = False,
    first: sa.ColumnElement[bool] | None = None,
    author_checked: bool = False,
) -> sa.Select:
    """Rows of ``post`` (the post table or an alias) in page order beyond ``position`` (and
    from ``since`` on, if given), that pass ``first`` (if given) before the rule below
    (``author_checked``: see :func:`~app.models.user.post_visible_to`).

    Every step above reads posts through here, so a rule about which posts may be shown on
    the timeline belongs here.
    """
    keyset = POSTS_NEWEST_FIRST
    columns = (post.c.timestamp, post.c.id)
    # Hidden posts and suspended authors' posts, except the reader's own; replies by the rule
    # of home (in the index: in_reply_to_user_id is its last column).
    rule = sa.and_(
        post_visible_to(post, USER_ID, author_checked=author_checked),
        _shown_on_home(post, probe),
    )
    if first is not None:
        # Tested first, in a CASE: both databases may order the conditions of a WHERE as
        # they like, and PostgreSQL probed the author of each of the 260 posts of page 41's
        # walk for a suspension before asking whether the reader follows them.
        rule = sa.case((first, rule), else_=sa.false())
    stmt = sa.select(post).where(rule)
    if position is not None:
        stmt = stmt.where(keyset.beyond(position, reverse=reverse, columns=columns))
    if since is not None:
        stmt = stmt.where(post.c.timestamp >= since)
    return stmt.order_by(*keyset.ordering(reverse=reverse, columns=columns))


def _shown_on_home(post: sa.FromClause, probe: bool) -> sa.ColumnElement[bool]:
    """:func:`shown_on_home_of` the reader, for the rows of ``post``; with ``probe``, the
    "answers someone followed" part is a probe of the follows' key per reply that needs it.

    PostgreSQL runs that part of the plain rule (an EXISTS) as a hash of every account the
    reader follows, built once per place in the statement that uses it: 2,000 index entries
    each, four or five times a page for a reader of 2,000 accounts (and at XL, where the
    benchmark's newest follows are not yet marked all-visible, 939 buffers each). Where few
    rows are replies to check (the feed's page, the merged accounts' first posts) a probe
    each costs less: the 2,000-follow reader's page at L went from 2.5 to 1.2 ms of
    execution. The walk of the newest posts site-wide checks hundreds of rows: it keeps the
    hash (probes there made page 41 of the 100-follow reader dearer, 1.5 to 1.9 ms). The
    same rule either way; a scalar subquery is never made a hash (the primary key gives it
    one row at most).
    """
    if not probe:
        return shown_on_home_of(USER_ID, post)
    answered = post.c.in_reply_to_user_id
    follows_answered = (
        sa.select(_ONE)
        .where(followers.c.follower_id == USER_ID, followers.c.followed_id == answered)
        .scalar_subquery()
    )
    return sa.or_(
        answered.is_(None),
        post.c.user_id == USER_ID,
        answered == USER_ID,
        follows_answered.is_not(None),
    )
