"""Home feeds: each reader's newest home-timeline entries, written when a post is made.

Reading a home timeline from the posts finds each followed account's newest post, a cost that
grows with the number of accounts followed (9.4 ms at XL for 2,000 of them). A feed holds the
page ready instead: ``home_feed`` has a row per reader and post, in the reader's page order, so
a page is one range of its primary key whatever the reader follows. What is kept:

* Posts by the reader and by the accounts they follow that have at most ``fanout_limit``
  followers, from the reader's *horizon* on (``home_feed_horizon``): above it the feed is
  complete, so a page whose last post is at or above it is right; a deeper page is read from
  the posts as before (:mod:`app.listings.timeline`). A horizon of NULL means complete from
  the first post; no horizon row means no feed yet (pages read the posts): the reader's
  first home visit builds it (:func:`build_home_feed`).
* Accounts with more followers are listed in ``home_feed_author`` and read from their posts
  at page time: posting by an account with 50,000 followers writes no feed rows. Each such
  account's row keeps the time of its newest post (hidden or not), so a page probes only
  those that posted since its oldest feed row; deleting that post brings it down. An
  account joins that list when its stored followers count passes the limit (the follow
  that takes it there), and its rows leave the other readers' feeds then (so that a page,
  which reads them from the posts from then on, needs no check of each feed row's author);
  it leaves the list only when the feeds are rebuilt. The posts pages read of them are
  listed together, site-wide and in page order, in ``home_feed_merged``, with an index by
  author: a page probes each account there, or a reader of many of them finds a page's worth
  by walking that list (keeping the accounts it follows).
* Except their replies to accounts that are not merged: those go into the feeds of the
  readers shown them (the account answered, and its followers who follow the author: at most
  the limit's number of probes) and into ``home_feed_reply``, by the account answered, so
  that a follow of either account copies those its new follower is now shown. Read at page
  time, a support account answering strangers cost each follower's page a probe per answer
  it did not show (2,000 of them: 1.1 to 3.9 ms at L on PostgreSQL). Replies between two
  merged accounts, and to oneself, stay read at page time: their readers are the
  intersection of two large follower lists.
* About ``size`` rows per reader: a feed of ``size`` rows or more is cut back to it and its
  horizon moves up to the oldest row kept. So that posting by an account with many followers
  does not trim every follower's feed, each follower's feed is trimmed at one post in
  :func:`trim_interval`, chosen by the post's and the reader's ids. A reader who pages past
  their feed makes it deeper, ``size`` rows at a time (:func:`extend_home_feed`), until its
  next trim.

Database triggers keep the feeds, as they keep the stored counts (:mod:`app.models.counts`)
and for the same reasons: every path that writes posts or follows (pages, ``flask shell``,
the benchmark's and the tests' plain ``INSERT``\\s) and every cascade of an account's deletion
passes through them. A new post goes into its author's and followers' feeds (those that
exist: a reader has none until their first home visit builds it); a new follow
copies the followed account's newest posts into the follower's feed; an unfollow takes them
out; a deleted post or account takes its rows with it (and a deleted newest post its merged
author's newest time). What a reader may see (hidden posts, suspended authors, the rule for
replies) is not stored: the page's statement checks it on the rows it reads, so a hide or a
suspension shows at once.

:func:`rebuild_home_feeds` makes every feed again in bulk (the benchmark's copy, the
migration that adds the tables, a change of the settings). Bulk loads that set the stored
counts' triggers aside set these aside too (:func:`drop_feed_triggers`), and with them every
feed: until it is rebuilt, each home timeline is read from the posts. ``flask fake`` does not
write 100,000 feeds after its load (:func:`reset_home_feeds`): each is built on its reader's
first home visit, as Mastodon builds a returning user's, by :func:`build_home_feed`.
"""

# The triggers' SQL is put together from the settings, which are whole numbers (never input).
# ruff: noqa: S608

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context

from app.extensions import db
from app.models.types import UTCDateTime, time_from_driver

HOME_FEED_SIZE = 400
"""Rows kept per reader by default: 16 pages of 25 (``HOME_FEED_SIZE`` in the config)."""
HOME_FEED_FANOUT_LIMIT = 250
"""Followers above which an account's posts are read at page time instead of written to its
followers' feeds (``HOME_FEED_FANOUT_LIMIT`` in the config). Set by what posting costs SQLite,
which writes a page of the database per feed row and holds its one write lock meanwhile:
a post to 1,000 followers took 28 ms of CPU and about 100 ms in all on a busy machine, to 250
followers 8 ms of CPU and 21-37 ms in all (docs/performance.md). PostgreSQL took 20 ms for
1,000 followers, 6 ms for 250; pages pay for the limit with the merged accounts they probe,
only those that posted since the page's oldest feed row."""
REBUILD_WINDOW = 50_000
"""How many of the newest posts site-wide :func:`rebuild_home_feeds` writes into feeds."""

home_feed = sa.Table(
    "home_feed",
    db.metadata,
    # Whose feed (the reader), then the page order: a page is one range of the primary key.
    # No foreign keys: checking two per row cost a post to 1,000 followers 2,000 lookups (on
    # PostgreSQL each a row lock written to the reader's user row); the triggers delete a
    # deleted post's and a deleted reader's rows instead, and pages join every row to its post.
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("timestamp", UTCDateTime, primary_key=True),
    sa.Column("post_id", sa.Integer, primary_key=True),
    # The post's author: an unfollow takes the author's rows out of the reader's range.
    sa.Column("author_id", sa.Integer, nullable=False),
    # A deleted post's rows are found by it.
    sa.Index("ix_home_feed_post_id", "post_id"),
    # On SQLite the rows are kept in the primary key's order: one B-tree, not a table and a
    # copy of it as the key's index.
    sqlite_with_rowid=False,
)

home_feed_horizon = sa.Table(
    "home_feed_horizon",
    db.metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    # The position (timestamp, post id) down to which the reader's feed is complete; NULL:
    # complete from the first post.
    sa.Column("timestamp", UTCDateTime),
    sa.Column("post_id", sa.Integer),
)

home_feed_author = sa.Table(
    "home_feed_author",
    db.metadata,
    # Accounts whose posts are read at page time, not written into feeds.
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    # No earlier than the account's newest post: a page probes only the accounts that posted
    # after its oldest feed row (a range of this index), not every merged account followed.
    sa.Column("timestamp", UTCDateTime),
    sa.Index("ix_home_feed_author_timestamp", "timestamp"),
)

home_feed_merged = sa.Table(
    "home_feed_merged",
    db.metadata,
    # The posts by the accounts of home_feed_author that pages read at page time (all but
    # their replies fanned out: home_feed_reply), site-wide, in page order: a page walks
    # it from its position and keeps the posts of accounts its reader follows. For a reader of
    # many merged accounts that finds a page in a few pages' worth of rows, where probing each
    # account's posts costs one index seek per account that posted since the page's bound
    # (816 at XL for the 2,000-follow reader). No foreign keys, as for home_feed: the
    # triggers delete a deleted post's row.
    sa.Column("timestamp", UTCDateTime, primary_key=True),
    sa.Column("post_id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer, nullable=False),
    # The post's (never changes): home's rule for replies is checked here, so that a page
    # reads the post itself (is it hidden, its author suspended?) only for its candidates.
    sa.Column("in_reply_to_user_id", sa.Integer),
    # The post's, kept by a trigger on post: pages read a merged account's posts from here
    # by author (the index below), the rule for hidden posts in the index.
    sa.Column("hidden_at", UTCDateTime),
    sa.Index(
        "ix_home_feed_merged_author_id",
        "author_id",
        "timestamp",
        "post_id",
        "hidden_at",
        "in_reply_to_user_id",
    ),
    sqlite_with_rowid=False,
)

home_feed_reply = sa.Table(
    "home_feed_reply",
    db.metadata,
    # A merged account's replies to accounts that are not merged: written into the feeds of
    # the readers shown them (the account answered and its followers who follow the author),
    # not into home_feed_merged, so pages never walk past them. Kept here so that a follow of
    # either account copies those its new follower is shown (by the account answered, the
    # key; by author, the index).
    sa.Column("answered_id", sa.Integer, primary_key=True),
    sa.Column("timestamp", UTCDateTime, primary_key=True),
    sa.Column("post_id", sa.Integer, primary_key=True),
    sa.Column("author_id", sa.Integer, nullable=False),
    sa.Index("ix_home_feed_reply_author_id", "author_id", "timestamp", "post_id", "answered_id"),
    sqlite_with_rowid=False,
)


def feed_settings() -> tuple[int, int]:
    """(size, fanout_limit) from the app's config, or the defaults outside an app."""
    if not has_app_context():
        return HOME_FEED_SIZE, HOME_FEED_FANOUT_LIMIT
    config = current_app.config
    return (
        int(config.get("HOME_FEED_SIZE", HOME_FEED_SIZE)),
        int(config.get("HOME_FEED_FANOUT_LIMIT", HOME_FEED_FANOUT_LIMIT)),
    )


def trim_interval(size: int) -> int:
    """At how many posts in one a follower's feed is trimmed (see the module's docstring).

    Each trim walks ``size`` rows of the feed to find the new horizon: at one post in 25 that
    walk was 63 of a 1,000-follower post's milliseconds on PostgreSQL. Half the size costs an
    eighth of that, for feeds of up to 1.5 times the size (pages read one range whatever it).
    """
    return max(1, size // 2)


# The statements the triggers run, for either database: NEW and OLD are the row's values.
# "timestamp" is quoted where it stands alone: PostgreSQL also knows it as a type's name.
_MERGED = "EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = {author})"


def _followers_if(condition: str) -> str:
    """SQL of the ids of the new post's author's followers, none unless ``condition`` holds.

    The condition is a one-row table read first: neither database hoists a subquery
    condition out of a loop over 50,000 followers, but both skip the loop when its outer
    table is empty.
    """
    return (
        f"SELECT f.follower_id FROM (SELECT 1 AS go WHERE {condition}) gate "
        "CROSS JOIN followers f WHERE f.followed_id = NEW.user_id"
    )


# Whether ``reader`` has a feed, as a scalar subquery: run once per row as a probe of the
# horizon's primary key on both databases. Written as EXISTS, PostgreSQL made it a semi join
# and, where one account has most follows (a skewed estimate of followers per account),
# hashed every horizon for a post to 250 followers: 18 ms, against 1.4 ms before the check.
_HAS_FEED = "(SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = {reader}) IS NOT NULL"


def _fan_out() -> str:
    """The new post ``NEW`` into its author's feed and, unless merged at page time, its
    followers' feeds: only feeds that exist (readers with a horizon row).

    A reader without a feed (``flask fake`` leaves everyone so, until their first home
    visit) gets no row: their build (:func:`build_home_feed`) reads the posts anyway, and
    rows written for readers who never come would pile up untrimmed (trims work from the
    horizon). The check is one probe of the horizon's primary key per follower, made only
    for an account under the fan-out limit (the gate: at most ``fanout_limit`` of them).
    Whatever the horizon's value: a row below it (a post dated in the past) is never part of
    a page read from the feed (see :mod:`app.listings.timeline`) and goes at the next trim.
    """
    merged = _MERGED.format(author="NEW.user_id")
    return f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM ({_followers_if(f"NOT {merged}")}) fans
WHERE {_HAS_FEED.format(reader="fans.follower_id")}
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE {_HAS_FEED.format(reader="NEW.user_id")}"""


# PostgreSQL: the author's stored counts row, locked first by each of their posts (the
# counts' trigger, which fires after this one, updates it anyway). A post and a follow of
# its author (which may merge the author: :func:`_promotion`) are serialised from here: the
# post sees the author merged or is seen by the promotion. And a feed being built
# (:func:`build_home_feed`, which share-locks the rows of the accounts its reader follows) is
# waited for, then seen: the fan-out's check of the horizon, a later statement, reads the
# committed build.
# A deletion (and a move) locks it first too: it also locks the merged author's row
# (:func:`_lower_newest`) before the counts' trigger updates this one, and the two orders
# would deadlock.
def _lock_author(*authors: str) -> str:
    ids = ", ".join(authors)
    return f"PERFORM 1 FROM user_stats WHERE user_id IN ({ids}) ORDER BY user_id FOR NO KEY UPDATE"


_FIRST_TIME = "0001-01-01 00:00:00+00:00"
"""Before any post, in a form both databases compare with their stored times (SQLite: text)."""


def _below_horizons(readers: str) -> str:
    """SQL deleting the feed rows below their reader's horizon, for the readers whose horizon
    rows match ``readers`` (a condition on ``h``).

    Found as one key range per reader, from its first row up to the horizon's time: only the
    rows that go are read. (A row-value comparison with a per-row subquery, the first way,
    made SQLite read each feed whole: 8 ms of the 24 a post to 1,000 followers cost.)
    """
    return f"""
DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE {readers} AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id))"""


def _trim(readers: str, size: int, lock: bool = False) -> list[str]:
    """Feeds of ``readers`` (SQL giving user ids) of ``size`` rows or more: the horizon moves
    up to the ``size``-th row, and the rows below it go. Only up: a row written below the
    horizon (a post dated in the past) must not move it down past posts the feed never had.

    With ``lock`` (PostgreSQL, several readers) their horizons are locked first in key order:
    two posts trimming feeds of the same people at once wait for one another instead of
    deadlocking.
    """
    nth = (
        "SELECT {columns} FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id "
        'ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET {offset}'
    )
    nth_row = nth.format(columns='e."timestamp", e.post_id', offset=size - 1)
    locking = f"""
PERFORM 1 FROM home_feed_horizon WHERE user_id IN ({readers}) ORDER BY user_id FOR UPDATE"""
    return [
        *([locking] if lock else []),
        f"""
UPDATE home_feed_horizon SET ("timestamp", post_id) = ({nth_row})
WHERE home_feed_horizon.user_id IN ({readers})
  AND (COALESCE(home_feed_horizon."timestamp", '{_FIRST_TIME}'),
       COALESCE(home_feed_horizon.post_id, 0)) < ({nth_row})""",
        _below_horizons(f"h.user_id IN ({readers})"),
    ]


def _turn(number: str, every: int) -> str:
    """True when ``number`` is a multiple of ``every``, spelled without ``%`` (a placeholder
    to the PostgreSQL driver) or ``mod`` (not in every SQLite)."""
    return f"(({number}) / {every}) * {every} = ({number})"


# A merged author's newest post time moves up to the new post's, or is set if unknown: a
# rebuild merges accounts over the limit that have not posted yet. (Written ``NOT (t >=
# new)`` it never set an unknown one, and pages skipped that account's posts for good;
# migration b5e8d2a41c07.)
_NEWEST = """
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp")"""
# On PostgreSQL the author's row is locked by every post of theirs, even one dated before
# their newest (which moves nothing): a deletion of the newest post, which lowers the time
# (:func:`_lower_newest`), waits for it, and then sees it.
_NEWEST_LOCKING = """
UPDATE home_feed_author SET "timestamp" = CASE
  WHEN "timestamp" IS NULL OR "timestamp" < NEW."timestamp" THEN NEW."timestamp"
  ELSE "timestamp" END
WHERE user_id = NEW.user_id"""


def _newest(lock: bool) -> str:
    return _NEWEST_LOCKING if lock else _NEWEST


# The post OLD went (deleted, or moved to another time or author). If it was its merged
# author's newest, their time comes down to the newest post they have left (one seek of the
# (user_id, timestamp, id) index; NULL if none), so pages stop probing them for it: left at the
# deleted post's time, every page whose feed rows are younger probed that account for nothing
# (a seek each, which adds up only when many merged accounts lose recent posts). The time
# still counts hidden posts and suspended authors': a hide or a suspension can be undone
# without touching it, and what a page may show is checked there.
_STALE_NEWEST = 'user_id = OLD.user_id AND "timestamp" <= OLD."timestamp"'
_LOWER_NEWEST = f"""
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE {_STALE_NEWEST}"""


def _lower_newest(lock: bool = False) -> list[str]:
    """The statements lowering a merged author's newest time when their post OLD goes.

    With ``lock`` (PostgreSQL) the author's row is locked first, and the time read in a
    statement after that: a post of theirs under way (it locks the row too, see
    :data:`_NEWEST_LOCKING`) is waited for and counted, never left above the lowered time.
    """
    locking = f"PERFORM 1 FROM home_feed_author WHERE {_STALE_NEWEST} FOR UPDATE"
    return [*([locking] if lock else []), _LOWER_NEWEST]


def _read_at_page_time(post: str) -> str:
    """SQL: the post ``post`` (``NEW`` or an alias of ``post``), if its author is merged, is
    read by pages (from home_feed_merged): it answers nobody, its author or a merged account.
    A reply to anyone else is fanned out instead (:func:`_fan_out_reply`)."""
    answered = f"{post}.in_reply_to_user_id"
    return (
        f"({answered} IS NULL OR {answered} = {post}.user_id OR {_MERGED.format(author=answered)})"
    )


# The merged accounts' posts read at page time (home_feed_merged): NEW goes in if its author
# is merged and it is one of those; OLD's row goes whoever wrote it (one probe of the key).
_INTO_MERGED = f"""
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id, NEW.hidden_at
WHERE {_MERGED.format(author="NEW.user_id")} AND {_read_at_page_time("NEW")}"""
_OUT_OF_MERGED = (
    'DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id'
)
# A merged author's reply to an account that is not merged: into home_feed_reply (and the
# feeds of those shown it); OLD's row goes, if it has one (one probe of the key).
# The cheap tests first: most posts answer nobody, and then no probe is made.
_FANNED_REPLY = (
    "NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id "
    f"AND {_MERGED.format(author='NEW.user_id')} "
    f"AND NOT {_MERGED.format(author='NEW.in_reply_to_user_id')}"
)
_INTO_REPLIES = f"""
INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT NEW.in_reply_to_user_id, NEW."timestamp", NEW.id, NEW.user_id WHERE {_FANNED_REPLY}"""
_OUT_OF_REPLIES = (
    "DELETE FROM home_feed_reply WHERE answered_id = OLD.in_reply_to_user_id "
    'AND "timestamp" = OLD."timestamp" AND post_id = OLD.id'
)
# A hide or an unhide: the merged posts' copy of hidden_at follows (pages read it there).
_ON_HIDE = [
    "UPDATE home_feed_merged SET hidden_at = NEW.hidden_at "
    'WHERE "timestamp" = NEW."timestamp" AND post_id = NEW.id'
]


def _reply_readers() -> str:
    """SQL of who is shown the new post ``NEW`` if it is a merged author's reply to an account
    that is not merged (no one otherwise): that account and its followers, those who follow
    the author, the author aside.

    At most the fan-out limit's followers plus one, each a probe of the follows' key (a
    scalar subquery: as EXISTS PostgreSQL may hash every follower of the author, 50,000 for
    the largest). The gate comes first, as in :func:`_followers_if`.
    """
    follows_author = (
        "(SELECT m.follower_id FROM followers m "
        "WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL"
    )
    return f"""SELECT r.reader FROM (SELECT 1 AS go WHERE {_FANNED_REPLY}) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND {follows_author}"""


def _fan_out_reply() -> str:
    """The new post ``NEW``, a merged author's reply to an account that is not merged, into
    the feeds (that exist) of the readers shown it (:func:`_reply_readers`).

    Read at page time, such replies cost every follower's page a probe each to be skipped
    when they answer someone the reader does not follow (a support account answering
    strangers: 2,000 of them took a page at L from 1.1 to 3.9 ms on PostgreSQL).
    """
    return f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT readers.reader, NEW."timestamp", NEW.id, NEW.user_id
FROM ({_reply_readers()}) readers
WHERE {_HAS_FEED.format(reader="readers.reader")}"""


def _nth_newest(author: str, columns: str, size: int) -> str:
    """SQL of ``columns`` of ``author``'s ``size``-th newest post (no row if fewer)."""
    return (
        f"SELECT {columns} FROM post p WHERE p.user_id = {author} "
        f'ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET {size - 1}'
    )


def _complete_only_from(readers: str, nth: str) -> str:
    """SQL moving the horizon of the feeds that ``readers`` (a condition on
    ``home_feed_horizon``) names up to the position ``nth`` (SQL of a timestamp and a post
    id), where it is lower: those feeds are complete only from there on."""
    return f"""
UPDATE home_feed_horizon SET ("timestamp", post_id) = ({nth})
WHERE {readers}
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < ({nth}))"""


def _promotion(size: int, postgres: bool) -> list[str]:
    """The statements merging the account of the ``user_stats`` row ``NEW``, whose followers
    count is past the fan-out limit: the trigger ``tr_home_feed_promotion`` on its update
    runs them for an account not merged yet, so at the follow that takes it past.

    Its posts that pages read at page time go into home_feed_merged, where pages find them
    from then on, and their rows leave the other readers' feeds; its replies to accounts that
    are not merged go into home_feed_reply, their rows staying in the feeds. Left there,
    every page had to check each feed row's author against the merged accounts: a hash of
    all 4,467 of them at XL, 0.69 ms of a 1.66 ms home statement. Rows are read only at or
    above their feed's horizon (a page that would need one below it is read from the posts),
    so the rows of the account's newest
    ``size`` posts go (one seek of the post index each), and a follower's feed complete below
    its ``size``-th newest post is complete only from there now, as a follow makes it
    (:func:`_on_follow`); rows of older posts left below it go at the next trim.

    Merged by the follow that passes the limit, an account has at most ``fanout_limit + 1``
    followers whose feeds hold its rows. Merged at its next post instead (until 2026-12-06),
    an account followed by thousands meanwhile, each follow copying its posts into the new
    follower's feed, had all those rows to delete in that post: for 5,000 new followers at L,
    1.6-4.2 s on PostgreSQL, 10-11 s on SQLite (docs/performance.md, "The promotion at the
    follow").

    PostgreSQL: the followers' horizons are locked in key order first, as a trim locks them.
    """
    fans = "SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.user_id"
    # Read once (uncorrelated). The posts of that time but older ids go too: deleting a
    # merged author's row is never wrong.
    since = f"""COALESCE(({_nth_newest("NEW.user_id", 'p."timestamp"', size)}), '{_FIRST_TIME}')"""
    row = _nth_newest("NEW.user_id", 'p."timestamp", p.id', size)
    # Only the posts pages read from now on: its replies to accounts that are not merged stay
    # in the feeds (home_feed_reply lists them), as its later ones are fanned out.
    newest_posts = f"""
  SELECT p.id FROM post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= {since}
    AND {_read_at_page_time("p")}"""
    # PostgreSQL joined those posts to the feeds by hashing all of home_feed (600 ms at L,
    # 3.6 million rows) where it expected a thousand of them: an array makes it seek each.
    newest_posts = f"= ANY (ARRAY({newest_posts}))" if postgres else f"IN ({newest_posts})"
    locking = (
        f"PERFORM 1 FROM home_feed_horizon WHERE user_id IN ({fans}) ORDER BY user_id FOR UPDATE"
    )
    return [
        *([locking] if postgres else []),
        f"""
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id, p.hidden_at
FROM post p WHERE p.user_id = NEW.user_id AND {_read_at_page_time("p")}""",
        f"""
INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT p.in_reply_to_user_id, p."timestamp", p.id, p.user_id
FROM post p WHERE p.user_id = NEW.user_id AND NOT {_read_at_page_time("p")}""",
        f"DELETE FROM home_feed WHERE post_id {newest_posts} AND user_id <> NEW.user_id",
        _complete_only_from(f"home_feed_horizon.user_id IN ({fans})", row),
        """
INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id)""",
    ]


def _promotes(account: str, followers: str, fanout_limit: int) -> str:
    """SQL: ``account`` is not merged and ``followers`` (SQL of its count) is past the limit."""
    return f"{followers} > {fanout_limit} AND NOT {_MERGED.format(author=account)}"


def _lock_post(*authors: str) -> str:
    """PostgreSQL: :func:`_lock_author` of ``authors`` and, for a reply fanned out
    (:func:`_fan_out_reply`), of the account answered too. A follow of that account locks its
    row (:func:`_on_follow`), so the two come one after the other and the follow copies the
    reply or the reply sees the follow; its promotion likewise."""
    answered = ", ".join((*authors, "NEW.in_reply_to_user_id"))
    return f"""IF {_FANNED_REPLY} THEN
      {_lock_author(answered)};
    ELSE
      {_lock_author(", ".join(authors))};
    END IF"""


def _on_post_insert(size: int, lock: bool = False) -> list[str]:
    merged = _MERGED.format(author="NEW.user_id")
    every = trim_interval(size)
    to_trim = (
        f"SELECT follower_id FROM ({_followers_if(f'NOT {merged}')}) fans "
        f"WHERE {_turn('follower_id + NEW.id', every)} "
        f"UNION ALL SELECT NEW.user_id WHERE {_turn('NEW.user_id + NEW.id', every)}"
    )
    return [
        *([_lock_post("NEW.user_id")] if lock else []),
        _INTO_MERGED,
        _newest(lock),
        _fan_out(),
        *_trim(to_trim, size, lock),
    ]


def _on_reply_insert(size: int, lock: bool = False) -> list[str]:
    """The statements of a new post that is a merged author's reply to an account that is not
    merged (:data:`_FANNED_REPLY`): run only for those (SQLite: a trigger of their own with
    that ``WHEN``; PostgreSQL: an ``IF``), so that no other post pays for them (on SQLite
    five statements that write nothing cost a root post 0.13 ms of 3.1 at L)."""
    to_trim = (
        f"SELECT reader FROM ({_reply_readers()}) readers "
        f"WHERE {_turn('reader + NEW.id', trim_interval(size))}"
    )
    return [_INTO_REPLIES, _fan_out_reply(), *_trim(to_trim, size, lock)]


def _on_post_move(lock: bool = False) -> list[str]:
    # A post's time (or author) changed: its rows go and it is fanned out again as new.
    return [
        *([_lock_post("OLD.user_id", "NEW.user_id")] if lock else []),
        "DELETE FROM home_feed WHERE post_id = NEW.id",
        _OUT_OF_MERGED,
        _OUT_OF_REPLIES,
        *_lower_newest(lock),
        _newest(lock),
        _INTO_MERGED,
        _INTO_REPLIES,
        _fan_out(),
        _fan_out_reply(),
    ]


def _on_follow(size: int, fanout_limit: int, lock: bool = False) -> list[str]:
    """The statements copying the followed account's newest posts into the follower's feed.

    With ``lock`` (PostgreSQL) the two accounts' counts rows are locked first, in key order,
    as a post locks its author's (:func:`_lock_author`): two follows that would merge one
    account, or a follow and a post by the followed account, come one after the other. The
    counts' trigger, which fires after this one (PostgreSQL fires a table's triggers in the
    order of their names), updates the same two rows anyway, and merges the followed account
    if this follow takes it past the limit (:func:`_promotion`). That promotion locks the
    followers' horizons in key order; this follow locks its follower's before, so when it is
    the one that promotes, it takes them all first, in key order, as a trim does.
    """
    nth_post = _nth_newest("NEW.followed_id", 'p."timestamp", p.id', size)
    merged = _MERGED.format(author="NEW.followed_id")
    count = "(SELECT s.followers FROM user_stats s WHERE s.user_id = NEW.followed_id) + 1"
    # An IF: as a condition of the PERFORM's query it cost every follow 0.16 ms.
    promoting = f"""
IF {_promotes("NEW.followed_id", count, fanout_limit)} THEN
      PERFORM 1 FROM home_feed_horizon
      WHERE user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.followed_id)
      ORDER BY user_id FOR UPDATE;
    END IF"""
    follower = "home_feed_horizon.user_id = NEW.follower_id"
    return [
        *([_lock_author("NEW.follower_id", "NEW.followed_id"), promoting] if lock else []),
        # The follower's feed is complete only above the followed account's size-th post,
        # and above the size-th of the replies fanned out to it or by it (copied below).
        _complete_only_from(f"{follower} AND NOT {merged}", nth_post),
        *(
            _complete_only_from(follower, _nth_reply(column, size))
            for column in ("answered_id", "author_id")
        ),
        _below_horizons("h.user_id = NEW.follower_id"),
        f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, p."timestamp", p.id, p.user_id
FROM home_feed_horizon h JOIN post p ON p.user_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND NOT {merged}
  AND (h."timestamp" IS NULL OR p."timestamp" > h."timestamp"
       OR (p."timestamp" = h."timestamp" AND p.id >= h.post_id))
ORDER BY p."timestamp" DESC, p.id DESC LIMIT {size}""",
        *_copy_fanned_replies(),
        *_trim("SELECT NEW.follower_id", size),
    ]


def _nth_reply(column: str, size: int) -> str:
    """SQL of the time and post id of the ``size``-th newest row of home_feed_reply whose
    ``column`` (``answered_id`` or ``author_id``) is the followed account (no row if fewer)."""
    return (
        f'SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.{column} = '
        f'NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET {size - 1}'
    )


def _copy_fanned_replies() -> list[str]:
    """The statements of a follow copying into the follower's feed (above its horizon, rows
    it has not got) the merged authors' replies fanned out before that the follow now shows
    them: those answering the followed account by authors they follow, and the followed
    account's own (if it is merged) answering them or someone they follow.

    The horizon was raised to the size-th of each first, so each reads at most ``size`` rows.
    """
    above = """(h."timestamp" IS NULL OR r."timestamp" > h."timestamp"
       OR (r."timestamp" = h."timestamp" AND r.post_id >= h.post_id))"""
    missing = """NOT EXISTS (SELECT 1 FROM home_feed e
    WHERE e.user_id = h.user_id AND e."timestamp" = r."timestamp" AND e.post_id = r.post_id)"""

    def follows(account: str) -> str:
        return (
            "(SELECT m.follower_id FROM followers m "
            f"WHERE m.follower_id = NEW.follower_id AND m.followed_id = {account}) IS NOT NULL"
        )

    def copy(column: str, shown: str) -> str:
        return f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, r."timestamp", r.post_id, r.author_id
FROM home_feed_horizon h JOIN home_feed_reply r ON r.{column} = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND {shown}
  AND {above}
  AND {missing}"""

    return [
        copy("answered_id", f"r.author_id <> NEW.follower_id AND {follows('r.author_id')}"),
        copy(
            "author_id",
            f"(r.answered_id = NEW.follower_id OR {follows('r.answered_id')})",
        ),
    ]


_ON_UNFOLLOW = [
    "DELETE FROM home_feed WHERE user_id = OLD.follower_id AND author_id = OLD.followed_id"
]
_ON_USER = [
    # A new account follows nobody and wrote nothing: its feed is complete, and empty.
    'INSERT INTO home_feed_horizon (user_id, "timestamp", post_id) VALUES (NEW.id, NULL, NULL)'
]
# What the foreign keys' cascades would do (see home_feed). An account's deletion deletes its
# posts (each through _on_post_delete) and its follows (each through _ON_UNFOLLOW) too.


def _on_post_delete(lock: bool = False) -> list[str]:
    return [
        *([_lock_author("OLD.user_id")] if lock else []),
        "DELETE FROM home_feed WHERE post_id = OLD.id",
        _OUT_OF_MERGED,
        _OUT_OF_REPLIES,
        *_lower_newest(lock),
    ]


_ON_USER_DELETE = ["DELETE FROM home_feed WHERE user_id = OLD.id"]


def sqlite_triggers(size: int, fanout_limit: int) -> dict[str, str]:
    """Each SQLite trigger's name and its SQL, for these settings."""

    def trigger(name: str, when: str, statements: list[str]) -> tuple[str, str]:
        body = ";\n".join(s.strip() for s in statements)
        return name, f"CREATE TRIGGER {name} {when} BEGIN\n{body};\nEND"

    return dict(
        [
            trigger(
                "tr_home_feed_post_insert",
                "AFTER INSERT ON post",
                _on_post_insert(size),
            ),
            trigger(
                "tr_home_feed_reply_insert",
                f"AFTER INSERT ON post WHEN {_FANNED_REPLY}",
                _on_reply_insert(size),
            ),
            trigger(
                "tr_home_feed_post_update",
                'AFTER UPDATE OF "timestamp", user_id ON post',
                _on_post_move(),
            ),
            trigger("tr_home_feed_post_delete", "AFTER DELETE ON post", _on_post_delete()),
            trigger("tr_home_feed_post_hide", "AFTER UPDATE OF hidden_at ON post", _ON_HIDE),
            trigger(
                "tr_home_feed_follow_insert",
                "AFTER INSERT ON followers",
                _on_follow(size, fanout_limit),
            ),
            trigger("tr_home_feed_follow_delete", "AFTER DELETE ON followers", _ON_UNFOLLOW),
            trigger("tr_home_feed_user_insert", 'AFTER INSERT ON "user"', _ON_USER),
            trigger("tr_home_feed_user_delete", 'AFTER DELETE ON "user"', _ON_USER_DELETE),
            trigger(
                "tr_home_feed_promotion",
                "AFTER UPDATE OF followers ON user_stats "
                f"WHEN {_promotes('NEW.user_id', 'NEW.followers', fanout_limit)}",
                _promotion(size, postgres=False),
            ),
        ]
    )


def postgresql_functions(size: int, fanout_limit: int) -> dict[str, str]:
    """Each PostgreSQL trigger function's name and its SQL, for these settings."""

    def block(statements: list[str]) -> str:
        return "\n".join(f"    {s.strip()};" for s in statements)

    def function(name: str, body: str, settings: str = "") -> tuple[str, str]:
        return name, (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql{settings} "
            f"AS $$\nBEGIN\n{body}\n  RETURN NULL;\nEND $$"
            if settings
            else f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\n  RETURN NULL;\nEND $$"
        )

    return dict(
        [
            function(
                "home_feed_on_post",
                "  IF TG_OP = 'INSERT' THEN\n"
                f"{block(_on_post_insert(size, lock=True))}\n"
                f"    IF {_FANNED_REPLY} THEN\n"
                f"{block(_on_reply_insert(size, lock=True))}\n"
                "    END IF;\n"
                "  ELSIF TG_OP = 'UPDATE' THEN\n"
                f"{block(_on_post_move(lock=True))}\n"
                "  ELSE\n"
                f"{block(_on_post_delete(lock=True))}\n"
                "  END IF;",
                # Never compiled: a post's statements read a few rows each, but where one
                # account has most follows the planner expects thousands of followers per
                # account and the fan-out's cost passed jit_above_cost: compiling it took
                # 85 ms of a 90 ms post (a merged account's, whose fan-out never runs).
                "\nSET jit = off",
            ),
            function("home_feed_on_hide", block(_ON_HIDE)),
            function(
                "home_feed_on_follow",
                "  IF TG_OP = 'INSERT' THEN\n"
                f"{block(_on_follow(size, fanout_limit, lock=True))}\n"
                "  ELSE\n"
                f"{block(_ON_UNFOLLOW)}\n"
                "  END IF;",
            ),
            function(
                "home_feed_on_user",
                "  IF TG_OP = 'INSERT' THEN\n"
                f"{block(_ON_USER)}\n"
                "  ELSE\n"
                f"{block(_ON_USER_DELETE)}\n"
                "  END IF;",
            ),
            function(
                "home_feed_on_followers",
                f"  IF {_promotes('NEW.user_id', 'NEW.followers', fanout_limit)} THEN\n"
                f"{block(_promotion(size, postgres=True))}\n"
                "  END IF;",
                # As the post's: the planner's guess of an account's followers is large.
                "\nSET jit = off",
            ),
        ]
    )


POSTGRESQL_TRIGGERS = {
    "tr_home_feed_post": 'AFTER INSERT OR UPDATE OF "timestamp", user_id OR DELETE ON post '
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_post()",
    "tr_home_feed_post_hide": "AFTER UPDATE OF hidden_at ON post "
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_hide()",
    "tr_home_feed_follow": "AFTER INSERT OR DELETE ON followers "
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_follow()",
    "tr_home_feed_user": 'AFTER INSERT OR DELETE ON "user" '
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_user()",
    # The limit is the function's (a WHEN here would need it in this text too).
    "tr_home_feed_promotion": "AFTER UPDATE OF followers ON user_stats "
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_followers()",
}
_TRIGGER_TABLES = {
    "tr_home_feed_post": "post",
    "tr_home_feed_post_hide": "post",
    "tr_home_feed_follow": "followers",
}
_TRIGGER_TABLES["tr_home_feed_user"] = '"user"'
_TRIGGER_TABLES["tr_home_feed_promotion"] = "user_stats"


def feed_trigger_names(dialect: str) -> set[str]:
    """The names of the triggers that keep the feeds, on ``dialect``."""
    if dialect == "sqlite":
        return set(sqlite_triggers(HOME_FEED_SIZE, HOME_FEED_FANOUT_LIMIT))
    return set(POSTGRESQL_TRIGGERS)


def create_feed_triggers(
    connection: sa.Connection, size: int | None = None, fanout_limit: int | None = None
) -> None:
    """Make the triggers (again) with these settings (the config's if not given)."""
    configured = feed_settings()
    size = int(size or configured[0])
    fanout_limit = int(configured[1] if fanout_limit is None else fanout_limit)
    _drop_triggers_only(connection)
    if connection.dialect.name == "sqlite":
        for sql in sqlite_triggers(size, fanout_limit).values():
            connection.exec_driver_sql(sql)
        return
    for sql in postgresql_functions(size, fanout_limit).values():
        connection.exec_driver_sql(sql)
    for name, sql in POSTGRESQL_TRIGGERS.items():
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {sql}")


def _drop_triggers_only(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in feed_trigger_names("sqlite"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, table in _TRIGGER_TABLES.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def drop_feed_triggers(connection: sa.Connection) -> None:
    """Remove the triggers, and with them every feed (pages read the posts until
    :func:`rebuild_home_feeds`): a bulk load's posts and follows would not be in them."""
    _drop_triggers_only(connection)
    connection.execute(sa.delete(home_feed_horizon))


def rebuild_home_feeds(
    connection: sa.Connection,
    size: int | None = None,
    fanout_limit: int | None = None,
    window: int = REBUILD_WINDOW,
) -> None:
    """Make every reader's feed again in bulk, and the triggers that keep them, in the
    connection's transaction (the stored counts must be right: they say who is merged).

    Every feed gets the reader's posts and those of the followed accounts under the fanout
    limit among the ``window`` newest posts site-wide, at most ``size`` of them; its
    horizon is the oldest it keeps if it has ``size``, else the window's oldest post (NULL if
    the window holds every post). That is one pass over the window's follows, whatever the
    number of posts. Readers whose whole timeline is short (people who follow rare posters:
    :data:`SMALL_TIMELINE`) get all of it instead, complete from the first post. Others whose
    window holds less than a page start with pages read from the posts, until posts come.
    """
    size, fanout_limit = _settings(size, fanout_limit)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql('LOCK TABLE "user", followers, post, user_stats IN SHARE MODE')
    _drop_triggers_only(connection)
    for table in (home_feed, home_feed_horizon, home_feed_author):
        connection.execute(sa.delete(table))
    statements = _rebuild_sql(size, fanout_limit, window)
    connection.exec_driver_sql(statements["authors"])
    rebuild_merged_posts(connection)
    for sql in statements["feeds"]:
        connection.exec_driver_sql(sql)
    create_feed_triggers(connection, size, fanout_limit)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE home_feed, home_feed_horizon, home_feed_author")


MERGED_POSTS = f"""
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id, p.hidden_at FROM post p
WHERE p.user_id IN (SELECT user_id FROM home_feed_author) AND {_read_at_page_time("p")}
ORDER BY p."timestamp", p.id"""
MERGED_REPLIES = f"""
INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT p.in_reply_to_user_id, p."timestamp", p.id, p.user_id FROM post p
WHERE p.user_id IN (SELECT user_id FROM home_feed_author) AND NOT {_read_at_page_time("p")}
ORDER BY p.in_reply_to_user_id, p."timestamp", p.id"""


def rebuild_merged_posts(connection: sa.Connection) -> None:
    """``home_feed_merged`` and ``home_feed_reply`` made again from the posts of the merged
    accounts (those in ``home_feed_author``), in the connection's transaction: every rebuild
    that lists the merged accounts again calls it (their triggers dropped meanwhile), before
    it writes any feed (the feeds copy the replies listed here)."""
    connection.execute(sa.delete(home_feed_merged))
    connection.execute(sa.delete(home_feed_reply))
    connection.exec_driver_sql(MERGED_POSTS)
    connection.exec_driver_sql(MERGED_REPLIES)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE home_feed_merged, home_feed_reply")


def short_feed_readers(connection: sa.Connection, rows: int) -> list[int]:
    """Readers whose feed has a horizon and fewer than ``rows`` rows at or above it: their
    first page is read from the posts (the posts that filled it were deleted after the feed
    was trimmed below them)."""
    above = f"""
SELECT h.user_id FROM home_feed_horizon h
WHERE h."timestamp" IS NOT NULL AND (
  SELECT count(*) FROM (
    SELECT 1 FROM home_feed e WHERE e.user_id = h.user_id
      AND (e."timestamp" > h."timestamp"
           OR (e."timestamp" = h."timestamp" AND e.post_id >= h.post_id))
    LIMIT {int(rows)}) kept) < {int(rows)}
ORDER BY h.user_id"""
    return list(connection.exec_driver_sql(above).scalars())


def refill_home_feeds(
    connection: sa.Connection,
    readers: list[int] | None = None,
    rows: int = 25,
    window: int = REBUILD_WINDOW,
) -> list[int]:
    """Make the feeds of ``readers`` again, as :func:`rebuild_home_feeds` makes every feed
    (by default the readers of :func:`short_feed_readers` with ``rows``); returns whose.

    Deleting many posts (a write load's, or a prolific account's) can leave a feed that was
    trimmed below them with less than a page: that reader's pages are read from the posts,
    right but dearer (L, SQLite: the rare posters' reader's page 0.54 -> 5.0 ms with an empty
    feed). This puts theirs back from the posts, leaving every other feed, the merged accounts
    and the triggers as they are, in the connection's transaction.
    """
    if readers is None:
        readers = short_feed_readers(connection, rows)
    elif readers:
        # Only readers with a feed: without the triggers (a bulk load) nobody has one.
        has_feed = sa.select(home_feed_horizon.c.user_id).where(
            home_feed_horizon.c.user_id.in_(readers)
        )
        readers = sorted(connection.execute(has_feed).scalars())
    if not readers:
        return []
    size, fanout_limit = feed_settings()
    if connection.dialect.name == "postgresql":
        # As a post or a follow would change them meanwhile (the rebuild locks the same way).
        connection.exec_driver_sql('LOCK TABLE "user", followers, post, user_stats IN SHARE MODE')
    ids = ", ".join(str(int(reader)) for reader in readers)
    for sql in rebuild_statements(size, fanout_limit, window, readers=ids):
        connection.exec_driver_sql(sql)
    return list(readers)


def reset_home_feeds(
    connection: sa.Connection, size: int | None = None, fanout_limit: int | None = None
) -> None:
    """Every feed emptied, to be built on its reader's first home visit
    (:func:`build_home_feed`), with what every page needs made now: the merged accounts,
    their posts (``home_feed_merged``) and the triggers, in the connection's transaction.

    For a bulk load (``flask fake``): building 100,000 feeds (up to 40 million rows at XL) was
    its longest step, for readers most of whom never come; a first visit builds one in some
    tens of milliseconds at most. Until then a reader has no horizon: their pages read the
    posts, and the triggers write no rows for them (they fan out only into feeds that exist).
    """
    size, fanout_limit = _settings(size, fanout_limit)
    _drop_triggers_only(connection)
    for table in (home_feed, home_feed_horizon, home_feed_author):
        connection.execute(sa.delete(table))
    connection.exec_driver_sql(_rebuild_sql(size, fanout_limit, REBUILD_WINDOW)["authors"])
    rebuild_merged_posts(connection)
    create_feed_triggers(connection, size, fanout_limit)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE home_feed, home_feed_horizon, home_feed_author")


def has_home_feed(connection: sa.Connection, reader: int) -> bool:
    """Whether ``reader`` has a feed (a horizon row): one probe of its primary key."""
    has = sa.select(home_feed_horizon.c.user_id).where(home_feed_horizon.c.user_id == reader)
    return connection.execute(has).first() is not None


def build_home_feed(
    connection: sa.Connection,
    reader: int,
    size: int | None = None,
    fanout_limit: int | None = None,
    window: int = REBUILD_WINDOW,
) -> bool:
    """Make the feed of ``reader``, who has none, in the connection's transaction (the caller
    commits): its rows and horizon as :func:`rebuild_home_feeds` makes them. False, and
    nothing written, if they have one by then (another request built it) or no account.

    The reader's timeline posts among the ``window`` newest posts site-wide, newest
    ``size`` of them, found by each followed account's own posts (one index range each, so
    the cost grows with the accounts followed and those posts, at most the window's, never
    with the number of posts); the whole timeline for readers whose timeline is short
    (:data:`SMALL_TIMELINE`). At XL the 2,000-follow reader's build reads some thousands of
    index entries (docs/performance.md, "Home feeds built on the first visit").

    While it runs, nothing the feed depends on can change unseen: on PostgreSQL the reader's
    account row is locked (``FOR UPDATE``), which a follow, a post or an unfollow by them
    waits for (a follow's and a post's foreign key check, :meth:`User.unfollow`'s lock), and a
    second build of the same feed waits and then finds it made; the tables a full rebuild
    locks are locked against it (``ROW EXCLUSIVE``, as any write does), so the two never
    interleave. SQLite has one writer at a time: the first statement here is a write. On
    PostgreSQL posts by the accounts read here wait for the build (their stored counts rows
    are share-locked, which their trigger locks first), then their trigger sees the feed and
    writes into it; a post under way when the build starts is waited for and read (a
    trigger that ran before the feed was there wrote no row for it). A post deleted or
    hidden meanwhile is left out by the page, which checks every row against its post.
    """
    size, fanout_limit = _settings(size, fanout_limit)
    postgres = connection.dialect.name == "postgresql"
    run = _statements_of(connection, reader)
    if postgres and not _lock_reader(run):
        return False
    # The claim, a write (SQLite takes its write lock here): a horizon of NULL until the end.
    claimed = run(
        'INSERT INTO home_feed_horizon (user_id, "timestamp", post_id) '
        'SELECT u.id, NULL, NULL FROM "user" u WHERE u.id = :reader AND NOT EXISTS ('
        "SELECT 1 FROM home_feed_horizon h WHERE h.user_id = :reader)"
    )
    if claimed.rowcount != 1:
        return False
    # Rows fanned out while the reader had no feed (before the triggers wrote only into
    # feeds that exist): made again below, as the rebuild would.
    run("DELETE FROM home_feed WHERE user_id = :reader")
    if postgres:
        _hold_posts_of_timeline(run)
    # How long the whole timeline is, from the stored counts: a probe of user_stats per
    # account followed (joined, PostgreSQL hashed all of user_stats: 38 ms at XL).
    timeline = run(
        f"""
SELECT s.posts + COALESCE((
  SELECT sum((SELECT t.posts FROM user_stats t WHERE t.user_id = f.followed_id))
  FROM followers f
  WHERE f.follower_id = :reader AND {_NOT_MERGED.format(account="f.followed_id")}), 0)
FROM user_stats s WHERE s.user_id = :reader"""
    ).scalar()
    short = timeline is not None and timeline <= SMALL_TIMELINE * size
    _write_feed_rows(run, postgres, size, None if short else window, below=None)
    return True


def extend_home_feed(
    connection: sa.Connection,
    reader: int,
    size: int | None = None,
    fanout_limit: int | None = None,
    window: int = REBUILD_WINDOW,
    seen: tuple | None = None,
) -> bool:
    """Make ``reader``'s feed go deeper, in the connection's transaction (the caller commits):
    the next ``size`` rows of their timeline below its horizon, as :func:`build_home_feed`
    finds a new feed's (among the ``window`` posts site-wide below the horizon, each followed
    account read by its own index range), and the horizon moved down to the oldest of them
    (or to the window's edge if it holds fewer; to the first post if there is no edge).
    False, and nothing written, if the reader has no feed or it is complete already. With
    ``seen`` (the horizon's time and post id as the caller last read it), nothing is written
    either if the horizon moved since (another page made the feed deeper meanwhile, or a trim
    raised it): True, and the caller looks again.

    Pages below the horizon are read from the posts, seeking each followed account's newest
    post (at L, page 41 of a 1,000-follow reader took 12 ms on PostgreSQL, of the 1,876-follow
    rare posters' reader 17 ms): a deeper feed turns those pages into one range of it, and one
    extension serves the next 16 pages, however many accounts are followed. The feed's next
    trim cuts it back to its size (:func:`_trim`), as it does any feed that grew.

    Locks as :func:`build_home_feed` does: the reader's account row, then the counts rows of
    the accounts read (their posts, and so the trims of this feed, wait meanwhile), then the
    horizon row, last, as a trim or a follow takes it after the counts rows.
    """
    size, fanout_limit = _settings(size, fanout_limit)
    postgres = connection.dialect.name == "postgresql"
    run = _statements_of(connection, reader)
    horizon_sql = 'SELECT "timestamp", post_id FROM home_feed_horizon WHERE user_id = :reader'
    if postgres:
        if not _lock_reader(run):
            return False
        _hold_posts_of_timeline(run)
        horizon = run(horizon_sql + " FOR UPDATE").first()
    else:
        # A write first: SQLite's one write lock is held from here to the commit.
        run("UPDATE home_feed_horizon SET post_id = post_id WHERE user_id = :reader")
        horizon = run(horizon_sql).first()
    if horizon is None or horizon[0] is None:
        return False
    if seen is not None:
        # Compared as the column's type (SQLite keeps times as text: the raw value above is
        # what the statements below bind, unchanged).
        column = home_feed_horizon.c
        unmoved = sa.select(column.user_id).where(
            column.user_id == reader, column.timestamp == seen[0], column.post_id == seen[1]
        )
        if connection.execute(unmoved).first() is None:
            return True
    # Rows left below the horizon (posts dated in the past, a merged account's rows that its
    # promotion left there) go: pages will read this range now, and it is written afresh.
    # One range of the feed's key (as a join with the horizon, PostgreSQL took 60-640 ms
    # at XL).
    below = (horizon[0], horizon[1])
    run(
        'DELETE FROM home_feed WHERE user_id = :reader AND "timestamp" <= :below_at '
        'AND ("timestamp" < :below_at OR post_id < :below_id)',
        below_at=below[0],
        below_id=below[1],
    )
    edge = _span_edge(connection, reader, below)
    _write_feed_rows(run, postgres, size, window, below, edge)
    return True


SPAN_MARGIN = 1.25
"""How much longer than the feed's own span (newest row to horizon) an extension reads below
the horizon, in time (see :func:`_span_edge`)."""


def _span_edge(connection: sa.Connection, reader: int, below: tuple) -> tuple | None:
    """Where an extension of ``reader``'s feed stops reading: the first post at or after the
    time as far below the horizon (``below``, as the driver gives it) as the feed's rows above
    it reach, times :data:`SPAN_MARGIN`; None if the feed has no span or no post is there.

    The next ``size`` rows of a timeline take about as long to be written as the last
    ``size`` did, so that span holds about a feed's worth of them whatever the reader follows.
    A number of posts site-wide (the window) does not: at XL, 50,000 posts hold about two
    pages of a 100-follow reader's timeline, so their page 41 took some 20 extensions. A span
    with fewer rows moves the horizon to its edge, and the next one is longer.
    """
    rows = home_feed.c
    newest = connection.execute(
        sa.select(sa.func.max(rows.timestamp)).where(rows.user_id == reader)
    ).scalar()
    lowest = time_from_driver(connection.dialect)(below[0])
    if newest is None or lowest is None or newest <= lowest:
        return None
    since = lowest - (newest - lowest) * SPAN_MARGIN
    first = sa.text(
        'SELECT "timestamp", id FROM post WHERE "timestamp" >= :since '
        'AND "timestamp" <= :below_at AND ("timestamp" < :below_at OR id < :below_id) '
        'ORDER BY "timestamp", id LIMIT 1'
    ).bindparams(sa.bindparam("since", type_=UTCDateTime))
    values = {"since": since, "below_at": below[0], "below_id": below[1]}
    return connection.execute(first, values).first()


def _statements_of(connection: sa.Connection, reader: int):
    """A function running SQL text on ``connection`` with ``:reader`` bound to ``reader``
    (and any other values it is given)."""
    values = {"reader": int(reader)}

    def run(sql: str, **more) -> sa.CursorResult:
        return connection.execute(sa.text(sql), {**values, **more})

    return run


def _lock_reader(run) -> bool:
    """PostgreSQL, before a feed is written: plans for this reader's values (the app's
    connections keep generic plans), the tables a rebuild or a refill locks IN SHARE MODE
    locked against it, then the reader's account row; False if there is no such account."""
    run("SET LOCAL plan_cache_mode = force_custom_plan")
    run("LOCK TABLE user_stats IN ROW EXCLUSIVE MODE")
    return run('SELECT id FROM "user" WHERE id = :reader FOR UPDATE').first() is not None


_NOT_MERGED = "NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = {account})"
_TIMELINE_ACCOUNTS = f"""
  SELECT f.followed_id AS id FROM followers f
  WHERE f.follower_id = :reader AND {_NOT_MERGED.format(account="f.followed_id")}
  UNION ALL SELECT :reader"""


def _hold_posts_of_timeline(run) -> None:
    """PostgreSQL: hold off posts by the accounts whose posts a feed's rows are (the reader's
    and the followed accounts' that are not merged) until the transaction ends.

    The fan-out writes only into feeds that exist, and a new feed is not there for other
    transactions until it commits; a feed going deeper must not have a trim move its horizon
    meanwhile. So their counts rows are share-locked, in key order (a follow locks its two
    that way too), which a post of theirs locks first (:func:`_lock_author`). A post under
    way is waited for, and read; one made after waits, then sees the feed.
    """
    run(
        f"SELECT 1 FROM user_stats WHERE user_id IN ({_TIMELINE_ACCOUNTS}) "
        "ORDER BY user_id FOR SHARE"
    )


def _write_feed_rows(
    run, postgres: bool, size: int, window: int | None, below, edge: tuple | None = None
) -> None:
    """Write the newest ``size`` rows of the reader's timeline (``:reader`` in ``run``'s
    values) older than ``below`` (a time and post id; None: from the newest), from ``edge``
    on (a post's time and id) or else among the ``window`` posts site-wide there (None: all
    of them), into their feed, and set its horizon: complete from its ``size``-th row if it
    has that many there, else from the edge, else from the first post."""
    older = "{at} <= :below_at AND ({at} < :below_at OR {row_id} < :below_id)"
    if below is None:
        older = ""
    below_values = {} if below is None else {"below_at": below[0], "below_id": below[1]}

    def beneath(at: str, row_id: str, joiner: str = "\n  AND ") -> str:
        return joiner + older.format(at=at, row_id=row_id) if older else ""

    if edge is None and window is not None:
        # The window's oldest post; none if the window holds every post there.
        edge = run(
            'SELECT "timestamp", id FROM post'
            + beneath('"timestamp"', "id", " WHERE ")
            + f' ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET {int(window) - 1}',
            **below_values,
        ).first()

    def within(at: str, row_id: str) -> str:
        # From the window's oldest post on (nothing if the window holds every post), and
        # below where the feed is already complete.
        since = "" if edge is None else f"\n  AND {at} >= :at AND ({at} > :at OR {row_id} >= :id)"
        return since + beneath(at, row_id)

    values = {**below_values, **({} if edge is None else {"at": edge[0], "id": edge[1]})}
    posts_within = within('p."timestamp"', "p.id")
    replies_within = within('r."timestamp"', "r.post_id")
    newest = f'ORDER BY p."timestamp" DESC, p.id DESC LIMIT {int(size)}'
    # The merged accounts' replies fanned out to the reader (home_feed_reply): by each merged
    # account followed, those answering the reader or someone they follow.
    merged_followed = f"""
  SELECT f.followed_id FROM followers f
  WHERE f.follower_id = :reader AND NOT {_NOT_MERGED.format(account="f.followed_id")}"""
    shown = """(r.answered_id = :reader OR (SELECT m.follower_id FROM followers m
    WHERE m.follower_id = :reader AND m.followed_id = r.answered_id) IS NOT NULL)"""
    if postgres:
        # Each account's newest (a range of the author index, at most ``size`` long), then
        # the newest of those: no sort of every candidate post. (Posts by these accounts wait
        # meanwhile, so no trigger writes here: the ON CONFLICT is a guard, and keeps rows
        # below the horizon that a post dated in the past left there.)
        rows = f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT :reader, p."timestamp", p.id, p.user_id FROM (
  SELECT p."timestamp", p.id, p.user_id FROM ({_TIMELINE_ACCOUNTS}) a
  CROSS JOIN LATERAL (
    SELECT p."timestamp", p.id, p.user_id FROM post p WHERE p.user_id = a.id{posts_within}
    {newest}) p
  UNION ALL
  SELECT r."timestamp", r.post_id, r.author_id FROM ({merged_followed}) m
  CROSS JOIN LATERAL (
    SELECT r."timestamp", r.post_id, r.author_id FROM home_feed_reply r
    WHERE r.author_id = m.followed_id AND {shown}{replies_within}
    ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT {int(size)}) r) p
{newest}
ON CONFLICT DO NOTHING"""
    else:
        # SQLite reads the accounts' posts by the author index (never the time index, which
        # it would walk from the newest post for a reader of rare posters) and keeps the
        # newest in a sort that holds at most ``size`` rows.
        rows = f"""
INSERT OR IGNORE INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT :reader, p."timestamp", p.id, p.user_id FROM (
  SELECT p."timestamp", p.id, p.user_id
  FROM post p INDEXED BY ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id
  WHERE p.user_id IN ({_TIMELINE_ACCOUNTS}){posts_within}
  UNION ALL
  SELECT r."timestamp", r.post_id, r.author_id FROM home_feed_reply r
  WHERE r.author_id IN ({merged_followed}) AND {shown}{replies_within}) p
{newest}"""
    run(rows, **values)
    # Complete from its size-th row below where it was complete (its oldest, for a new feed)
    # if it reached that many; else down to the window's edge (from the first post if the
    # window holds every post).
    # Rows a post dated in the past left below the old horizon count only within the window:
    # below its edge nothing was read.
    full = run(
        'SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = :reader'
        + within('e."timestamp"', "e.post_id")
        + f' ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET {int(size) - 1}',
        **values,
    ).first()
    if full is not None:
        run(
            'UPDATE home_feed_horizon SET "timestamp" = :at, post_id = :id WHERE user_id = :reader',
            at=full[0],
            id=full[1],
        )
    else:
        run(
            'UPDATE home_feed_horizon SET "timestamp" = :at, post_id = :id WHERE user_id = :reader',
            at=None if edge is None else edge[0],
            id=None if edge is None else edge[1],
        )


def _settings(size: int | None, fanout_limit: int | None) -> tuple[int, int]:
    configured = feed_settings()
    return (
        int(size or configured[0]),
        int(configured[1] if fanout_limit is None else fanout_limit),
    )


SMALL_TIMELINE = 10
"""A reader whose whole timeline (every post by them and the accounts they follow that are not
merged) is at most this many feeds long gets it all on a rebuild, not just the window's."""


def rebuild_statements(
    size: int, fanout_limit: int, window: int = REBUILD_WINDOW, readers: str | None = None
) -> list[str]:
    """The SQL of :func:`rebuild_home_feeds` (into empty tables), for either database; with
    ``readers`` (SQL giving user ids), of :func:`refill_home_feeds`: only those readers' feeds
    (emptied first), the merged accounts as they are."""
    return _rebuild_sql(size, fanout_limit, window, readers)["all"]


def _rebuild_sql(size: int, fanout_limit: int, window: int, readers: str | None = None) -> dict:
    """The rebuild's statements: ``all`` in order for one transaction (only the feeds of
    ``readers``, SQL giving user ids, if given), and ``authors``, which lists the merged
    accounts (:func:`reset_home_feeds` uses it too)."""
    only = "" if readers is None else f" AND {{reader}} IN ({readers})"
    own = "" if readers is None else f"\n    WHERE p.user_id IN ({readers})"
    follower_in, stats_in = only.format(reader="f.follower_id"), only.format(reader="s.user_id")
    users_in = "" if readers is None else f"\nWHERE u.id IN ({readers})"
    nth = 'SELECT {column} FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET {offset}'
    edge = {c: nth.format(column=c, offset=window - 1) for c in ('"timestamp"', "id")}
    # The window's oldest post: the window-th newest, or the oldest of all if there are fewer.
    first = 'SELECT {column} FROM post ORDER BY "timestamp", id LIMIT 1'
    start = {c: f"COALESCE(({edge[c]}), ({first.format(column=c)}))" for c in edge}
    window_posts = f"""(SELECT {start['"timestamp"']} AS at, {start["id"]} AS id) w
    JOIN post p ON p."timestamp" >= w.at AND (p."timestamp" > w.at OR p.id >= w.id)"""
    not_merged = "p.user_id NOT IN (SELECT user_id FROM home_feed_author)"
    # Readers with a short timeline, counted from the stored counts: one pass over the follows.
    # Grouped, not a sum per reader: PostgreSQL hashed all of user_stats for each reader's sum
    # (quadratic: 20 s per statement at L's 10,000 readers, hours at XL's 100,000).
    small = f"""SELECT s.user_id FROM user_stats s
LEFT JOIN (
  SELECT f.follower_id, sum(t.posts) AS posts
  FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.followed_id NOT IN (SELECT user_id FROM home_feed_author){follower_in}
  GROUP BY f.follower_id) followed ON followed.follower_id = s.user_id
WHERE s.posts + COALESCE(followed.posts, 0) <= {SMALL_TIMELINE * size}{stats_in}"""

    def newest(candidates: str) -> str:
        return f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT reader, at, post_id, author_id FROM (
  SELECT reader, at, post_id, author_id,
    row_number() OVER (PARTITION BY reader ORDER BY at DESC, post_id DESC) AS n
  FROM ({candidates}) candidates
) ranked
WHERE n <= {size}
ORDER BY reader, at, post_id"""

    # Merged authors' replies fanned out (home_feed_reply) to the readers shown them: the
    # account answered, and those of its followers (at most the fan-out limit) who follow the
    # author; the reader's own are among their posts above.
    window_replies = f"""(SELECT {start['"timestamp"']} AS at, {start["id"]} AS id) w
    JOIN home_feed_reply r
      ON r."timestamp" >= w.at AND (r."timestamp" > w.at OR r.post_id >= w.id)"""

    def fanned(replies: str, readers: str = "") -> str:
        follows_author = (
            "(SELECT m.follower_id FROM followers m WHERE m.follower_id = {reader} "
            "AND m.followed_id = r.author_id) IS NOT NULL"
        )
        answered_in = "" if not readers else f" AND r.answered_id IN ({readers})"
        follower_of = "" if not readers else f" AND f.follower_id IN ({readers})"
        return f"""
    SELECT r.answered_id, r."timestamp", r.post_id, r.author_id FROM {replies}
    WHERE {follows_author.format(reader="r.answered_id")}{answered_in}
    UNION ALL
    SELECT f.follower_id, r."timestamp", r.post_id, r.author_id FROM {replies}
    JOIN followers f ON f.followed_id = r.answered_id
    WHERE f.follower_id <> r.author_id
      AND {follows_author.format(reader="f.follower_id")}{follower_of}"""

    window_timelines = f"""
    SELECT f.follower_id AS reader, p."timestamp" AS at, p.id AS post_id,
      p.user_id AS author_id
    FROM {window_posts}
    JOIN followers f ON f.followed_id = p.user_id
    WHERE {not_merged}{follower_in}
    UNION ALL
    SELECT p.user_id, p."timestamp", p.id, p.user_id FROM {window_posts}{own}
    UNION ALL{fanned(window_replies, readers or "")}"""

    def whole_timelines(readers: str) -> str:
        # Every post of the timelines of ``readers`` (SQL giving user ids): the short ones.
        return f"""
    SELECT f.follower_id AS reader, p."timestamp" AS at, p.id AS post_id,
      p.user_id AS author_id
    FROM followers f JOIN post p ON p.user_id = f.followed_id
    WHERE f.follower_id IN ({readers}) AND {not_merged}
    UNION ALL
    SELECT p.user_id, p."timestamp", p.id, p.user_id FROM post p
    WHERE p.user_id IN ({readers})
    UNION ALL{fanned("home_feed_reply r", readers)}"""

    small_timelines = whole_timelines(small)

    authors = f"""
INSERT INTO home_feed_author (user_id, "timestamp")
SELECT s.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = s.user_id)
FROM user_stats s WHERE s.followers > {fanout_limit}"""
    horizons = f"""
INSERT INTO home_feed_horizon (user_id, "timestamp", post_id)
SELECT u.id, ({edge['"timestamp"']}), ({edge["id"]}) FROM "user" u{users_in}"""

    def complete(readers: str) -> str:
        return f"""
UPDATE home_feed_horizon SET "timestamp" = NULL, post_id = NULL
WHERE user_id IN ({readers})"""

    # Feeds that reached their size: complete from their oldest row.
    full = f"""
UPDATE home_feed_horizon SET ("timestamp", post_id) = (
  SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id
  ORDER BY e."timestamp", e.post_id LIMIT 1)
WHERE (SELECT e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id
       ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET {size - 1}) IS NOT NULL"""

    if readers is None:
        first_steps = []
    else:
        first_steps = [
            f"DELETE FROM home_feed WHERE user_id IN ({readers})",
            f"DELETE FROM home_feed_horizon WHERE user_id IN ({readers})",
        ]
    feeds = [
        *first_steps,
        horizons,
        # Everyone: their timeline's posts among the window's.
        newest(window_timelines),
        # Short timelines: all of it, from the first post (their window rows go first).
        f"DELETE FROM home_feed WHERE user_id IN ({small})",
        newest(small_timelines),
        complete(small),
        full + only.format(reader="home_feed_horizon.user_id"),
    ]
    return {"feeds": feeds, "all": feeds if readers else [authors, *feeds], "authors": authors}


@sa.event.listens_for(db.metadata, "after_create")
def _create_triggers(_metadata, connection: sa.Connection, **_kw) -> None:
    create_feed_triggers(connection)


@sa.event.listens_for(db.metadata, "after_drop")
def _drop_functions(_metadata, connection: sa.Connection, **_kw) -> None:
    # Triggers go with their tables; PostgreSQL's functions stay unless dropped.
    if connection.dialect.name == "postgresql":
        for name in postgresql_functions(HOME_FEED_SIZE, HOME_FEED_FANOUT_LIMIT):
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
