"""The fast home-timeline query gives exactly the pages of the plain one, whatever the data."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.listings import timeline
from app.listings.frozen import FROZEN
from app.listings.keyset import encode_time_id, keyset_page, select_pages
from app.listings.posts import POSTS_NEWEST_FIRST, PostCard
from app.listings.timeline import home_timeline
from app.models import (
    Post,
    User,
    followers,
    home_feed,
    home_feed_author,
    home_feed_horizon,
    home_feed_merged,
    home_feed_reply,
    like,
)
from app.models.feed import (
    build_home_feed,
    create_feed_triggers,
    extend_home_feed,
    rebuild_home_feeds,
    refill_home_feeds,
    reset_home_feeds,
    short_feed_readers,
    trim_interval,
)
from tests.helpers import TEST_DATABASE_URL

START = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture
def community(db):
    """A reader following 24 of 30 people: some prolific, some rare posters, some silent.

    Many timestamps are shared between authors (ties must not lose or repeat posts), and one
    followed account posts a burst of 60 in a row.
    """
    rng = random.Random(7)  # noqa: S311  (test data)
    people = [User(username=f"person{n}", email=f"p{n}@example.com") for n in range(31)]
    db.session.add_all(people)
    db.session.flush()
    reader, others = people[0], people[1:]
    db.session.execute(
        sa.insert(followers),
        [{"follower_id": reader.id, "followed_id": u.id} for u in others[:24]],
    )
    rows = []
    for index, author in enumerate([reader, *others]):
        count = (0, 1, 2, 40)[index % 4] if index % 7 else 3
        rows += [
            {
                "body": "x",
                "user_id": author.id,
                "timestamp": START + timedelta(minutes=rng.randint(0, 300)),
            }
            for _ in range(count)
        ]
    burst = others[5]
    rows += [
        {
            "body": "burst",
            "user_id": burst.id,
            "timestamp": START + timedelta(minutes=150, seconds=s),
        }
        for s in range(60)
    ]
    db.session.execute(sa.insert(Post), rows)
    # Replies, by anyone to anyone (the reader, followed people, strangers, themselves), some
    # to replies: home shows only those the reader can follow (own, to them, to followed).
    posts = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
    for n in range(120):
        parent = rng.choice(posts)
        author = people[n % 31] if n % 5 else parent.author
        reply = parent.reply(author, "re")
        reply.timestamp = parent.timestamp + timedelta(minutes=rng.randint(0, 60))
        posts.append(reply)
    # Moderation: every 9th post hidden (the reader's own stay visible to the reader), and one
    # followed author suspended. Both queries must leave out the same posts.
    post_ids = db.session.scalars(sa.select(Post.id).order_by(Post.id)).all()
    db.session.execute(sa.update(Post).where(Post.id.in_(post_ids[::9])).values(hidden_at=START))
    others[2].suspended_at = START
    db.session.commit()
    return reader


def walk(source, per_page: int) -> tuple[list[int], list[int]]:
    """Every post id page by page with Older links, then back again with Newer links."""
    forward, pages, cursor = [], [], None
    while True:
        page = keyset_page(source, per_page, after=cursor)
        forward += [p.id for p in page.items]
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    backward, cursor = [], pages[-1].prev_cursor
    while cursor:
        page = keyset_page(source, per_page, before=cursor)
        backward = [p.id for p in page.items] + backward
        cursor = page.prev_cursor
    return forward, backward


def plain_timeline(reader: User) -> list[int]:
    """The oracle: the post ids of ``reader``'s home by the plain query
    (:meth:`User.following_posts`), newest first, read as one page.

    Walked page by page at each test's page size, both ways, it gave the same list every
    time, for more than a third of this module's time on PostgreSQL (310 -> 193
    worker-seconds, 2026-12-05).
    """
    page = keyset_page(select_pages(reader.following_posts(), POSTS_NEWEST_FIRST), 100_000)
    assert page.next_cursor is None
    return [p.id for p in page.items]


def hidden_from(db, reader: User) -> set[int]:
    """Ids of posts the reader must not see: hidden ones by others, and suspended authors'."""
    suspended = sa.select(User.id).where(User.suspended_at.is_not(None))
    query = sa.select(Post.id).where(
        Post.user_id != reader.id,
        sa.or_(Post.hidden_at.is_not(None), Post.user_id.in_(suspended)),
    )
    return set(db.session.scalars(query))


@pytest.mark.parametrize("window_pages", [0, 1, timeline.RECENT_WINDOW_PAGES, 40])
@pytest.mark.parametrize("per_page", [1, 4, 25])
def test_pages_match_the_plain_query(db, community, monkeypatch, window_pages, per_page):
    # window_pages=0 forces the author-by-author path; 40 takes the recent window for most pages.
    monkeypatch.setattr(timeline, "RECENT_WINDOW_PAGES", window_pages)
    expected = plain_timeline(community)
    forward, backward = walk(home_timeline(community), per_page)
    assert len(expected) > 150
    assert forward == expected
    replies = db.session.scalars(sa.select(Post).where(Post.in_reply_to_id.is_not(None))).all()
    shown = [reply.id for reply in replies if reply.id in set(expected)]
    assert 10 < len(shown) < len(replies)  # the rule lets some replies in, and keeps some out
    hidden = hidden_from(db, community)
    assert len(hidden) > 10
    assert not hidden & set(forward)
    last_page = len(expected) % per_page or per_page
    assert backward == expected[:-last_page]


@pytest.mark.parametrize("wide_pages", [1, 2, 4])
@pytest.mark.parametrize("per_page", [1, 4])
def test_the_wide_window_gives_the_plain_query_pages(
    db, community, monkeypatch, wide_pages, per_page
):
    # The reader follows 24 accounts: at least wide_pages * (per_page + 1) of them, so the
    # stored count picks the wide window; the short one is empty, so every page read from the
    # posts is the wide window's, or the by-author path's where it misses.
    monkeypatch.setattr(timeline, "RECENT_WINDOW_PAGES", 0)
    monkeypatch.setattr(timeline, "RECENT_WIDE_WINDOW_PAGES", wide_pages)
    monkeypatch.setattr(timeline, "RECENT_WIDE_WINDOW_PAGES_ON_SQLITE", wide_pages)
    monkeypatch.setattr(timeline, "WIDE_WINDOW_FROM_PAGES", wide_pages)
    assert community.following_count() >= wide_pages * (per_page + 1)
    expected = plain_timeline(community)
    forward, backward = walk(home_timeline(community), per_page)
    assert len(expected) > 150
    assert forward == expected
    last_page = len(expected) % per_page or per_page
    assert backward == expected[:-last_page]
    # Following fewer (a stored count below the threshold): the short window again.
    for followed in db.session.scalars(
        sa.select(followers.c.followed_id).where(followers.c.follower_id == community.id)
    ).all()[wide_pages * (per_page + 1) - 1 :]:
        community.unfollow(db.session.get(User, followed))
    db.session.commit()
    assert community.following_count() < wide_pages * (per_page + 1)
    expected = plain_timeline(community)
    assert walk(home_timeline(community), per_page) == (
        expected,
        expected[: -(len(expected) % per_page or per_page)],
    )


def test_own_posts_and_nobody_followed(db, make_user, make_post):
    loner = make_user("loner")
    mine = [make_post(loner, f"mine {n}", START + timedelta(minutes=n)) for n in range(3)]
    make_post(make_user("stranger"), "not on the timeline", START)
    page = keyset_page(home_timeline(loner), 2)
    assert [p.id for p in page.items] == [mine[2].id, mine[1].id]
    rest = keyset_page(home_timeline(loner), 2, after=page.next_cursor)
    assert [p.id for p in rest.items] == [mine[0].id]
    assert rest.next_cursor is None


def test_cards_carry_their_authors_names(community, db):
    page = keyset_page(home_timeline(community), 10)
    assert page.items
    for card in page.items:
        post = db.session.get(Post, card.id)
        assert card == PostCard.of(post)
        assert card.author_username == post.author.username


def test_cards_are_those_of_the_statement_through_the_session(db, make_user, make_post):
    # The page runs its statement as SQL text (app.listings.frozen): the cards must be
    # the ones the statement gives through the session, every column of its type (a like is
    # True, not 1; times are UTC), in both directions and from a position.
    reader, author = make_user("reader"), make_user("author")
    reader.follow(author)
    posts = [make_post(author, f"post {n}", START + timedelta(minutes=n)) for n in range(5)]
    reply = posts[3].reply(reader, "@author yes")
    reply.timestamp = START + timedelta(minutes=10)
    posts[1].edited_at = START + timedelta(hours=1)
    db.session.add(reply)
    db.session.commit()
    like(reader, posts[2])
    db.session.commit()
    pages = home_timeline(reader)
    first = keyset_page(pages, 2)
    positions = [None, POSTS_NEWEST_FIRST.decode(first.next_cursor)]
    seen = set()
    for position in positions:
        for reverse in (False, True):
            statement, values = pages(position, reverse, 3)
            cards = pages.listing.fetch(statement, values)
            assert cards == list(db.session.scalars(statement, values).unique())
            for card in cards:
                assert card == PostCard.of(db.session.get(Post, card.id), reader)
                assert type(card.viewer_liked) is bool
                assert card.timestamp.tzinfo is not None
                seen.add(card.id)
    liked = keyset_page(pages, 6).items
    assert [card.viewer_liked for card in liked if card.id == posts[2].id] == [True]
    assert [card.in_reply_to_username for card in liked if card.id == reply.id] == ["author"]
    assert reply.id in seen
    assert posts[1].id in seen
    # Made once per statement and page size, not per page.
    dialect = db.session.connection().dialect
    again = FROZEN.get(statement, values, pages.listing.literal, dialect)
    assert again is not None
    assert again is FROZEN.get(statement, values, pages.listing.literal, dialect)


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="reads PostgreSQL query plans"
)
def test_the_feed_checks_replies_with_a_probe_not_a_hash_of_every_follow(db, community):
    # PostgreSQL hashes an EXISTS of the reader's follows: the whole follow list once per use,
    # 2,000 entries for a heavy reader. The feed's rows and the merged accounts' posts check
    # the reply rule by a probe per reply instead (timeline._shown_on_home).
    texts = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        if "feed_candidates" in statement:
            texts.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        keyset_page(home_timeline(community), 4)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    (statement, parameters), *_ = texts
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    plan = [row[0] for row in cursor.execute("EXPLAIN " + statement, parameters)]
    for cte in ("CTE feed_rows", "CTE merged_heads"):
        start = plan.index(next(line for line in plan if line.strip() == cte))
        end = next(n for n in range(start + 1, len(plan)) if plan[n].startswith("  CTE "))
        # Every read of the follows names the followed account: one entry, not the list.
        reads = [line for line in plan[start:end] if "(follower_id = " in line]
        assert reads, plan[start:end]
        assert all("followed_id = " in line for line in reads), reads


def test_one_statement_text_for_every_reader(db, community, make_user):
    # The sizes are in the SQL text and the reader's values are parameters: every reader's page
    # of a given size is one statement, so PostgreSQL can keep one plan for it.
    other = make_user("other")
    texts = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.startswith("WITH ") and "feed_candidates" in statement:
            texts.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for reader in (community, other):
            keyset_page(home_timeline(reader), 4)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(texts) == 2
    assert texts[0] == texts[1]
    assert "LIMIT 5" in texts[0]


@pytest.mark.parametrize("window_pages", [0, timeline.RECENT_WINDOW_PAGES])
@pytest.mark.parametrize("per_page", [1, 4, 25])
def test_a_cursor_past_either_end_gives_the_page_at_that_end(
    db, community, monkeypatch, window_pages, per_page
):
    """A page link whose posts are gone shows the last (or first) page, as the plain query's."""
    monkeypatch.setattr(timeline, "RECENT_WINDOW_PAGES", window_pages)
    expected = plain_timeline(community)
    newest, oldest = db.session.get(Post, expected[0]), db.session.get(Post, expected[-1])
    past_the_end = encode_time_id(oldest.timestamp, oldest.id)
    before_the_start = encode_time_id(newest.timestamp, newest.id)
    plain = select_pages(community.following_posts(), POSTS_NEWEST_FIRST)
    for source in (plain, home_timeline(community)):
        last = keyset_page(source, per_page, after=past_the_end)
        assert [p.id for p in last.items] == expected[-per_page:]
        assert last.next_cursor is None
        assert last.prev_cursor == POSTS_NEWEST_FIRST.encode(last.items[0])
        first = keyset_page(source, per_page, before=before_the_start)
        assert [p.id for p in first.items] == expected[:per_page]
        assert first.prev_cursor is None
        assert first.next_cursor == POSTS_NEWEST_FIRST.encode(first.items[-1])


# Home feeds (app/models/feed.py): the pages read from them are the plain query's pages.


def feed_rows(db) -> list[tuple]:
    return db.session.execute(sa.select(home_feed).order_by(*home_feed.c)).all()


def assert_newest_times_are_the_posts(db) -> None:
    """Every merged account's stored newest time is that of its newest post, hidden or not
    (None if it has none)."""
    by_author = sa.select(Post.user_id, sa.func.max(Post.timestamp)).group_by(Post.user_id)
    newest = dict(db.session.execute(by_author).all())
    stored = dict(db.session.execute(sa.select(home_feed_author)).all())
    assert stored  # some are merged
    assert stored == {author: newest.get(author) for author in stored}


def read_at_page_time(post, merged: set[int]) -> bool:
    """Whether pages read a merged author's ``post`` at page time: it answers nobody, its
    author or a merged account (its other replies are fanned out)."""
    answered = post.in_reply_to_user_id
    return answered is None or answered == post.user_id or answered in merged


def assert_merged_posts_are_the_posts(db) -> None:
    """``home_feed_merged`` holds exactly the posts of the merged accounts (hidden or not)
    that pages read at page time, with their times, authors, the authors they answer and
    whether they are hidden; ``home_feed_reply`` their other replies, by the account
    answered (as they stand now: an account merged after a reply keeps it there)."""
    merged = set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    posts = db.session.execute(
        sa.select(
            Post.timestamp, Post.id, Post.user_id, Post.in_reply_to_user_id, Post.hidden_at
        ).where(Post.user_id.in_(merged))
    ).all()
    assert posts  # merged accounts have posted
    stored = set(db.session.execute(sa.select(home_feed_merged)).all())
    replies = set(db.session.execute(sa.select(home_feed_reply)).all())
    count = sa.select(sa.func.count()).select_from(home_feed_merged)
    assert db.session.scalar(count) == len(stored)
    # A reply is on one side or the other: which depends on whether the account answered
    # was merged when it was written, so only the union is checked against the posts.
    assert {(row.timestamp, row.post_id) for row in stored}.isdisjoint(
        (row.timestamp, row.post_id) for row in replies
    )
    assert stored | {
        (at, post_id, author, answered, hidden)
        for (answered, at, post_id, author) in replies
        for hidden in [next(p.hidden_at for p in posts if p.id == post_id)]
    } == {tuple(p) for p in posts}
    # Posts answering nobody or their author are never fanned out, replies to accounts that
    # are not merged always (an account answered that was merged since may have either).
    # A reply to an account deleted since cannot be listed by it (home_feed_reply's key
    # names the account): it stays read at page time, where the rule shows it to nobody.
    stored_ids = {row.post_id for row in stored}
    accounts = set(db.session.scalars(sa.select(User.id)))
    for p in posts:
        if p.in_reply_to_user_id in (None, p.user_id):
            assert p.id in stored_ids
        elif not read_at_page_time(p, merged) and p.in_reply_to_user_id in accounts:
            assert p.id not in stored_ids


def assert_fanned_out_feeds_are_what_a_build_makes(db, size: int, fanout_limit: int) -> None:
    """Only readers with a feed have feed rows (the fan-out writes into feeds that exist), and
    each feed, as the triggers left it, holds no rows by merged authors but the reader's and
    their replies fanned out at or above its horizon and is the one :func:`build_home_feed`
    makes from the posts now (window of all posts): the same rows home shows, at and above
    the lower of the two horizons (the fanned-out feed keeps up to half its size more rows,
    and a trim or a follow moves its horizon up)."""
    db.session.commit()
    horizons = {
        row.user_id: (row.timestamp, row.post_id)
        for row in db.session.execute(sa.select(home_feed_horizon))
    }
    with_rows = set(db.session.scalars(sa.select(home_feed.c.user_id).distinct()))
    assert with_rows <= set(horizons)
    merged = set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    fanned = set(db.session.scalars(sa.select(home_feed_reply.c.post_id)))
    # A merged account's rows left the other readers' feeds when it was merged (pages do not
    # check each row's author), but for rows below the feed's horizon, which pages never read,
    # and its replies fanned out (home_feed_reply).
    entries = db.session.execute(sa.select(home_feed)).all()
    assert not [
        row
        for row in entries
        if row.author_id in merged - {row.user_id}
        and row.post_id not in fanned
        and (
            horizons[row.user_id][0] is None
            or (row.timestamp, row.post_id) >= horizons[row.user_id]
        )
    ]
    follows = {
        tuple(row)
        for row in db.session.execute(sa.select(followers.c.follower_id, followers.c.followed_id))
    }
    replies = sa.select(home_feed_reply.c.post_id, home_feed_reply.c.answered_id)
    answered = dict(db.session.execute(replies).all())

    def shown(reader: int, row: tuple) -> bool:
        # A fanned-out reply is compared where home shows it: a feed may keep one it does
        # not (its reader has stopped following the account answered since).
        if row[2] not in merged or row[2] == reader:
            return True
        if row[1] not in answered or (reader, row[2]) not in follows:
            return False
        return answered[row[1]] == reader or (reader, answered[row[1]]) in follows

    def rows_of(connection, reader: int) -> list[tuple]:
        query = (
            sa.select(home_feed.c.timestamp, home_feed.c.post_id, home_feed.c.author_id)
            .where(home_feed.c.user_id == reader)
            .order_by(home_feed.c.timestamp.desc(), home_feed.c.post_id.desc())
        )
        return [tuple(row) for row in connection.execute(query)]

    def above(reader: int, rows: list[tuple], horizon: tuple | None) -> list[tuple]:
        return [
            row
            for row in rows
            if shown(reader, row) and (horizon is None or horizon[0] is None or row[:2] >= horizon)
        ]

    for reader, horizon in horizons.items():
        with db.engine.connect() as connection:
            fanned_out = rows_of(connection, reader)
            connection.execute(sa.delete(home_feed).where(home_feed.c.user_id == reader))
            connection.execute(
                sa.delete(home_feed_horizon).where(home_feed_horizon.c.user_id == reader)
            )
            assert build_home_feed(connection, reader, size, fanout_limit, 10**9)
            built = rows_of(connection, reader)
            built_horizon = connection.execute(
                sa.select(home_feed_horizon.c.timestamp, home_feed_horizon.c.post_id).where(
                    home_feed_horizon.c.user_id == reader
                )
            ).one()
            connection.rollback()
        higher = max((h for h in (horizon, tuple(built_horizon)) if h[0] is not None), default=None)
        assert above(reader, fanned_out, higher) == above(reader, built, higher), reader


# How a page finds the merged accounts' posts (timeline._merged_stream): (walk only for more
# than this many pages' worth of followed merged accounts, walk at most this many pages).
DEFAULT_WALK = (timeline.MERGED_STREAM_FROM_PAGES, timeline.MERGED_STREAM_PAGES)
WALKS = {
    "default": DEFAULT_WALK,
    # A walk of one page: enough only when every row is the reader's, else the probes.
    "short walk": (0, 1),
    # Always walked, never too short.
    "long walk": (0, 1000),
    "never walked": (10**6, 16),
}


@pytest.fixture(params=["default", "short walk", "long walk"])
def walk_settings(request, monkeypatch):
    """Each way of reading the merged accounts' posts, in turn (at this size the default
    probes the accounts: they are few)."""
    set_walk(monkeypatch, request.param)
    return request.param


def set_walk(monkeypatch, name: str) -> None:
    """Read the merged accounts' posts the way ``name`` of :data:`WALKS` says, on either
    database (SQLite's pages do not walk by default)."""
    from_pages, pages = WALKS[name]
    monkeypatch.setattr(timeline, "MERGED_STREAM_FROM_PAGES", from_pages)
    monkeypatch.setattr(timeline, "MERGED_STREAM_PAGES", pages)
    monkeypatch.setattr(timeline, "MERGED_STREAM_ON_SQLITE", name != "default")


def assert_every_home_matches(db, people: list[User], per_page: int) -> None:
    """Every account's home timeline, walked both ways, is the plain query's."""
    for person in people:
        expected = plain_timeline(person)
        forward, backward = walk(home_timeline(person), per_page)
        assert forward == expected, person.username
        last_page = len(expected) % per_page or per_page
        assert backward == expected[:-last_page], person.username


@pytest.fixture
def feed_settings_put_back(db):
    """Tests that make the feeds' triggers with settings of their own: the config's after
    (on PostgreSQL the schema, and its triggers, outlive a test)."""
    yield
    db.session.rollback()  # PostgreSQL: a trigger is replaced under a lock on its table
    with db.engine.begin() as connection:
        create_feed_triggers(connection)


@pytest.mark.usefixtures("feed_settings_put_back", "walk_settings")
@pytest.mark.parametrize("walk_settings", ["short walk", "long walk"], indirect=True)
@pytest.mark.parametrize(("size", "fanout_limit", "per_page"), [(6, 3, 2), (17, 4, 4), (30, 2, 5)])
def test_feeds_through_every_change_match_the_plain_query(db, size, fanout_limit, per_page):
    """Random follows, unfollows, posts (some dated in the past), replies, deletions,
    hides, suspensions and account deletions, with accounts on both sides of the fanout
    limit and pages past the feeds' size, feeds switched off half-way (as ``flask fake``
    leaves them) and built again on readers' first visits amid the changes: every home page
    stays the plain query's."""
    rng = random.Random(size)  # noqa: S311  (test data)
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=size, fanout_limit=fanout_limit)
    moderator = User(username="moderator", email="mod@example.com")
    people = [User(username=f"feed{n}", email=f"feed{n}@example.com") for n in range(14)]
    db.session.add_all([moderator, *people])
    db.session.commit()
    clock = [START]

    def now() -> datetime:
        clock[0] += timedelta(seconds=rng.choice((0, 1, 30)))  # ties too
        return clock[0]

    def post(author: User) -> None:
        when = now() if rng.random() < 0.8 else START + timedelta(seconds=rng.randint(0, 900))
        visible = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
        if visible and rng.random() < 0.3:
            reply = rng.choice(visible).reply(author, "re")
            reply.timestamp = when
        else:
            db.session.add(Post(body="x", author=author, timestamp=when))

    # The first few accounts are followed by nearly everyone: over the limit, merged at page
    # time from the follow that takes them past it.
    popular = people[:3]
    for follower in people:
        for followed in popular:
            if follower is not followed:
                follower.follow(followed)
    db.session.commit()
    for author in popular + [rng.choice(people) for _ in range(60)]:
        post(author)
    db.session.commit()
    merged = set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert merged == {p.id for p in popular}

    actions = ["follow"] * 6 + ["unfollow"] * 3 + ["post"] * 10 + ["delete", "hide", "unhide"]
    actions += ["suspend", "unsuspend", "delete account"]
    for round_ in range(8):
        for _ in range(25):
            action = rng.choice(actions)
            someone, other = rng.sample(people, 2)
            posts = db.session.scalars(sa.select(Post).order_by(Post.id)).all()
            if action == "follow":
                someone.follow(other)
            elif action == "unfollow":
                someone.unfollow(other)
            elif action == "post":
                post(someone)
            elif action == "delete" and posts:
                db.session.delete(rng.choice(posts))
            elif action == "hide" and posts:
                rng.choice(posts).hide(moderator)
            elif action == "unhide" and posts:
                rng.choice(posts).unhide()
            elif action == "suspend":
                someone.suspended_at = now()
            elif action == "unsuspend":
                someone.suspended_at = None
            elif (
                action == "delete account"
                and round_ % 3 == 2
                and len(people) > 8
                and someone is not popular[0]
            ):
                people.remove(someone)
                db.session.execute(sa.delete(User).where(User.id == someone.id))
                db.session.expire_all()
            db.session.commit()
        if round_ == 3:
            # As flask fake leaves them: no feed until the reader's first visit. Changes go
            # on meanwhile (posts write no rows for readers without a feed yet).
            with db.engine.begin() as connection:
                reset_home_feeds(connection, size=size, fanout_limit=fanout_limit)
        elif round_ > 3:
            # Some readers come for the first time (with a window of all posts, or of few).
            visitors = rng.sample(people, 3) if round_ < 7 else people
            with db.engine.begin() as connection:
                for visitor in visitors:
                    window = rng.choice((30, 100_000))
                    build_home_feed(connection, visitor.id, size, fanout_limit, window)
            # Some go past their feeds, which go deeper (as pages past them make them); drawn
            # apart, so the changes are those of the test without this step.
            deeper_rng = random.Random(size * 100 + round_)  # noqa: S311  (test data)
            with db.engine.begin() as connection:
                for deeper in deeper_rng.sample(people, 4):
                    for _ in range(deeper_rng.randint(1, 3)):
                        window = deeper_rng.choice((20, 100_000))
                        extend_home_feed(connection, deeper.id, size, fanout_limit, window)
        if round_ % 2:
            assert_every_home_matches(db, people, per_page)
            if round_ > 3:
                assert_fanned_out_feeds_are_what_a_build_makes(db, size, fanout_limit)
    # Crossing the limit both ways: an account that falls back under it stays merged (read at
    # page time) until a rebuild; one that rises over it is merged by the follow that does.
    falling, rising = popular[0], next(p for p in people if p.id not in merged)
    for follower in people:
        if follower is not falling:
            follower.unfollow(falling)
        if follower is not rising:
            follower.follow(rising)
    db.session.commit()
    assert rising.id in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    for author in (falling, rising, falling, rising):
        post(author)
        db.session.commit()
    merged = set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert {falling.id, rising.id} <= merged
    assert_every_home_matches(db, people, per_page)
    # A merged account's stored newest time is its newest post's, through posts dated in the
    # past, deletions and account deletions (pages probe by it: too low loses posts, too high
    # costs a probe on every page).
    assert_newest_times_are_the_posts(db)
    # And their posts are all in home_feed_merged, which pages walk: through the same changes
    # and the promotion of an account that had posted before.
    assert_merged_posts_are_the_posts(db)
    assert_fanned_out_feeds_are_what_a_build_makes(db, size, fanout_limit)

    rows = feed_rows(db)
    assert rows  # the feeds are used...
    # ...and trimmed: a feed is trimmed at about one of its posts in trim_interval (chosen by
    # ids), so on average it is at most that much over its size.
    lengths = Counter(row.user_id for row in rows).values()
    assert sum(lengths) / len(lengths) <= size + trim_interval(size)
    horizons = db.session.execute(sa.select(home_feed_horizon)).all()
    assert any(h.timestamp is not None for h in horizons)  # pages past a feed were read too
    # Made again in bulk, with a window shorter than the posts: the same pages.
    db.session.commit()
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=size, fanout_limit=fanout_limit, window=30)
    assert_merged_posts_are_the_posts(db)
    assert_every_home_matches(db, people, per_page)
    # The rebuild put the fallen account back under the limit: fanned out again.
    post(falling)
    falling.follow(rising)
    rising.follow(falling)
    db.session.commit()
    assert falling.id not in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert_every_home_matches(db, people, per_page)


@pytest.mark.usefixtures("feed_settings_put_back")
def test_readers_of_many_merged_accounts_match_the_plain_query(db, walk_settings):
    """Readers following more merged accounts than a page's sample of them (the cutoff of
    ``timeline._merged_cutoff`` is used), whose stored newest times are often above the
    newest post the reader is shown: replies to strangers, hidden and deleted posts. Pages
    of 1 to 3 posts are walked on the same posts: making them is most of the test's time."""
    rng = random.Random(walk_settings)  # noqa: S311  (test data)
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=30, fanout_limit=1)
    moderator = User(username="moderator", email="mod@example.com")
    people = [User(username=f"many{n}", email=f"many{n}@example.com") for n in range(26)]
    db.session.add_all([moderator, *people])
    db.session.commit()
    readers, authors, strangers = people[:4], people[4:22], people[22:]
    for reader in readers:
        for author in authors + readers:
            if author is not reader and rng.random() < 0.8:
                reader.follow(author)
    db.session.commit()
    clock = START
    for n in range(400):
        clock += timedelta(seconds=rng.choice((0, 1, 20)))  # ties too
        author = rng.choice(authors + readers + strangers)
        when = clock if rng.random() < 0.9 else START + timedelta(seconds=rng.randint(0, 3000))
        posts = db.session.scalars(sa.select(Post).order_by(Post.id.desc()).limit(40)).all()
        if posts and rng.random() < 0.35:
            # Often to a stranger: a reply the readers are not shown.
            parents = [p for p in posts if p.user_id in {s.id for s in strangers}] or posts
            reply = rng.choice(parents).reply(author, "re")
            reply.timestamp = when
        else:
            db.session.add(Post(body="x", author=author, timestamp=when))
        if n % 50 == 49:
            # The newest posts of some merged accounts go (their stored times come down) or
            # are hidden (their stored times stay).
            for post in rng.sample(posts, 4):
                if rng.random() < 0.5:
                    post.hide(moderator)
                else:
                    db.session.delete(post)
        db.session.commit()
    merged = set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert len(merged & {a.id for a in authors}) > 12
    assert_newest_times_are_the_posts(db)
    assert_merged_posts_are_the_posts(db)
    for per_page in (1, 2, 3):
        assert_every_home_matches(db, readers, per_page)


def reader_of_merged_accounts(db, prefix: str, authors: int, posts: int):
    """A reader following ``authors`` accounts whose posts are merged at read time (feeds of
    10, fan-out limited to one follower: each author has two), and ``posts`` posts by them a
    second apart; returns the reader and the authors."""
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=10, fanout_limit=1)
    people = [
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com") for n in range(authors + 2)
    ]
    db.session.add_all(people)
    db.session.commit()
    reader, fan, followed = people[0], people[1], people[2:]
    for author in followed:
        reader.follow(author)
        fan.follow(author)  # two followers each: over the limit of 1, merged
    db.session.commit()
    for n in range(posts):
        author = followed[n % len(followed)]
        db.session.add(Post(body="x", author=author, timestamp=START + timedelta(seconds=n)))
        db.session.commit()
    return reader, followed


@pytest.mark.usefixtures("feed_settings_put_back")
def test_pages_walk_the_merged_posts_or_probe_the_accounts(db, monkeypatch):
    """With many merged accounts followed the page is taken from the walk of
    ``home_feed_merged`` in page order, with few from the probes of each account's rows there
    by author. They tell hidden posts apart differently: the walk asks the post, the probes
    the row's copy of ``hidden_at`` (set on the rows alone, the posts are gone from the
    probes' page, not from the walk's)."""
    reader, authors = reader_of_merged_accounts(db, "walk", authors=6, posts=40)
    assert set(db.session.scalars(sa.select(home_feed_author.c.user_id))) == {a.id for a in authors}
    plain = select_pages(reader.following_posts(), POSTS_NEWEST_FIRST)
    expected = [p.id for p in keyset_page(plain, 5).items]
    assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == expected
    db.session.execute(sa.update(home_feed_merged).values(hidden_at=START))
    monkeypatch.setattr(timeline, "MERGED_STREAM_ON_SQLITE", False)
    if db.engine.dialect.name == "sqlite":  # not walked there by default
        assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == []
    for setting, shown in (("long walk", expected), ("never walked", [])):
        set_walk(monkeypatch, setting)
        assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == shown, setting
    db.session.rollback()


@pytest.mark.usefixtures("feed_settings_put_back")
def test_the_walk_is_taken_for_one_merged_account_more_than_its_gate(db, monkeypatch):
    """The merged accounts the reader follows are counted only up to one more than the
    walk's gate (``stream_from``): one more is a walk (which asks the posts whether they are
    hidden: hidden on ``home_feed_merged``'s rows alone, they are still on the page), as many
    as the gate are probed (which read the rows' copy: gone from the page)."""
    reader, authors = reader_of_merged_accounts(db, "gate", authors=7, posts=21)
    assert len(set(db.session.scalars(sa.select(home_feed_author.c.user_id)))) == 7
    db.session.execute(sa.update(home_feed_merged).values(hidden_at=START))
    # Pages of 5 read 6 rows: a gate of one page's worth is 6 accounts; the reader follows 7.
    monkeypatch.setattr(timeline, "MERGED_STREAM_FROM_PAGES", 1)
    monkeypatch.setattr(timeline, "MERGED_STREAM_PAGES", 16)
    monkeypatch.setattr(timeline, "MERGED_STREAM_ON_SQLITE", True)
    plain = select_pages(reader.following_posts(), POSTS_NEWEST_FIRST)
    expected = [p.id for p in keyset_page(plain, 5).items]
    assert len(expected) == 5
    assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == expected
    reader.unfollow(authors[0])
    db.session.flush()
    assert keyset_page(home_timeline(reader), 5).items == []
    db.session.rollback()


@pytest.mark.usefixtures("feed_settings_put_back")
@pytest.mark.parametrize(
    ("walk_name", "size", "per_page"),
    [("default", 6, 1), ("long walk", 6, 3), ("default", 60, 2), ("long walk", 60, 4)],
)
def test_pages_that_end_amid_posts_of_one_time_match_the_plain_query(
    db, monkeypatch, walk_name, size, per_page
):
    """Pages from the feed and from the walk of the merged accounts' posts compare the
    position as a (time, id) row (``timeline._past``): with most posts in runs that share a
    time, fanned out and merged authors alike, pages end inside the runs, and every page
    forwards and back is still the plain query's (through replies to strangers, hidden
    posts and a suspended account)."""
    rng = random.Random(size * 10 + per_page)  # noqa: S311  (test data)
    set_walk(monkeypatch, walk_name)
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=size, fanout_limit=3)
    moderator = User(username="moderator", email="mod@example.com")
    people = [User(username=f"tie{n}", email=f"tie{n}@example.com") for n in range(10)]
    db.session.add_all([moderator, *people])
    db.session.commit()
    readers, popular, quiet, strangers = people[:3], people[3:6], people[6:8], people[8:]
    for reader in readers:
        for author in popular + quiet + readers:
            if author is not reader:
                reader.follow(author)
    for stranger in strangers:  # five followers each: over the limit of 3, merged
        for author in popular:
            stranger.follow(author)
    db.session.commit()
    for step in range(12):
        at = START + timedelta(minutes=step)
        for author in popular + quiet + readers + strangers:
            for _ in range(rng.choice((0, 1, 2, 3))):
                posts = db.session.scalars(sa.select(Post).order_by(Post.id.desc()).limit(8))
                posts = posts.all()
                if posts and rng.random() < 0.3:
                    reply = rng.choice(posts).reply(author, "re")
                    reply.timestamp = at
                else:
                    db.session.add(Post(body="x", author=author, timestamp=at))
        db.session.commit()
    merged = set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert {p.id for p in popular} <= merged
    assert not merged & {q.id for q in quiet}
    for post in rng.sample(db.session.scalars(sa.select(Post)).all(), 6):
        post.hide(moderator)
    quiet[1].suspended_at = START
    db.session.commit()
    assert_every_home_matches(db, readers, per_page)


def test_positioned_pages_compare_the_position_as_a_row(db, community, monkeypatch):
    # Spelled out (time <= t AND (time < t OR time = t AND id < i)), the position made
    # PostgreSQL's generic plan expect fewer rows than a page beyond it and read the whole
    # range by a bitmap, then sort it: all 276 feed rows of the 2,000-follow reader's page 41
    # at XL. A small test database does not make it choose that plan, so the text is checked:
    # the feed's rows and the walk of the merged accounts' posts compare it as one row.
    set_walk(monkeypatch, "long walk")
    texts = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        if "feed_candidates" in statement:
            texts.append(" ".join(statement.split()))

    pages = home_timeline(community)
    first = keyset_page(pages, 4)
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        second = keyset_page(pages, 4, after=first.next_cursor)
        keyset_page(pages, 4, before=second.prev_cursor)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(texts) == 2
    for text, sign in zip(texts, "<>", strict=True):
        feed_rows = text[text.index("feed_rows AS") : text.index("feed_bound AS")]
        assert f"(feed_entry.timestamp, feed_entry.post_id) {sign} (" in feed_rows, feed_rows
        walked = text[text.index("merged_stream_rows AS") : text.index("merged_stream_covered")]
        assert f"(merged_stream.timestamp, merged_stream.post_id) {sign} (" in walked, walked


@pytest.mark.usefixtures("feed_settings_put_back")
def test_deleting_a_merged_accounts_newest_post_lowers_its_time(db):
    """The stored newest time of a merged account comes down to its newest post left when
    that post is deleted (else every page whose feed is younger probes the account for
    nothing), stays through hides and suspensions (undone without touching it), and is
    unknown when no post is left; the pages stay the plain query's throughout."""
    people = [User(username=f"lower{n}", email=f"lower{n}@example.com") for n in range(4)]
    moderator = User(username="moderator", email="mod@example.com")
    db.session.add_all([*people, moderator])
    db.session.commit()
    merged, other = people[0], people[1]
    for follower in people[1:]:
        follower.follow(merged)
    people[2].follow(other)
    db.session.add(Post(body="x", author=other, timestamp=START))
    db.session.commit()
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=10, fanout_limit=1)
    posts = []
    for minute in range(1, 6):
        posts.append(Post(body="x", author=merged, timestamp=START + timedelta(minutes=minute)))
        db.session.add(posts[-1])
        db.session.commit()

    def stored() -> datetime | None:
        query = sa.select(home_feed_author.c.timestamp).where(
            home_feed_author.c.user_id == merged.id
        )
        return db.session.scalar(query)

    assert stored() == posts[4].timestamp
    posts[4].hide(moderator)
    merged.suspended_at = START
    db.session.commit()
    assert stored() == posts[4].timestamp
    merged.suspended_at = None
    db.session.delete(posts[4])
    db.session.commit()
    assert stored() == posts[3].timestamp
    assert_every_home_matches(db, people, 2)
    db.session.delete(posts[1])  # not the newest: the time stays
    db.session.commit()
    assert stored() == posts[3].timestamp
    # Several in one statement, newest among them.
    db.session.execute(sa.delete(Post).where(Post.id.in_([posts[2].id, posts[3].id])))
    db.session.commit()
    assert stored() == posts[0].timestamp
    assert_every_home_matches(db, people, 2)
    db.session.execute(sa.delete(Post).where(Post.user_id == merged.id))
    db.session.commit()
    assert stored() is None
    assert_every_home_matches(db, people, 2)
    # Known again from the next post on.
    db.session.add(Post(body="x", author=merged, timestamp=START + timedelta(minutes=9)))
    db.session.commit()
    assert stored() == START + timedelta(minutes=9)
    assert_every_home_matches(db, people, 2)


@pytest.mark.usefixtures("feed_settings_put_back")
@pytest.mark.parametrize("window", [12, 10_000])
def test_feeds_emptied_by_deletions_are_refilled(db, window):
    """A burst of posts trims its readers' feeds above everything older; deleting the burst
    leaves those feeds with less than a page above their horizon (their pages are read from
    the posts). The refill finds exactly them, makes theirs again and leaves the others'
    rows, and the pages stay the plain query's before and after."""
    rng = random.Random(window)  # noqa: S311  (test data)
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=6, fanout_limit=3)
    people = [User(username=f"refill{n}", email=f"refill{n}@example.com") for n in range(8)]
    db.session.add_all(people)
    db.session.commit()
    burster, quiet = people[0], people[1:]
    for reader in quiet[:3]:
        reader.follow(burster)
    for reader in quiet:
        for author in rng.sample(quiet, 3):
            if author is not reader:
                reader.follow(author)
    db.session.commit()
    clock = START
    for _ in range(40):
        clock += timedelta(seconds=rng.choice((0, 1, 30)))
        db.session.add(Post(body="x", author=rng.choice(quiet), timestamp=clock))
    db.session.commit()
    burst = []
    for n in range(30):
        burst.append(
            Post(body="burst", author=burster, timestamp=clock + timedelta(hours=1, seconds=n))
        )
        db.session.add(burst[-1])
        db.session.commit()
    assert short_feed_readers(db.session.connection(), 2) == []
    db.session.execute(sa.delete(Post).where(Post.id.in_([p.id for p in burst])))
    db.session.commit()
    emptied = short_feed_readers(db.session.connection(), 2)
    assert set(emptied) == {burster.id, *(r.id for r in quiet[:3])}
    assert_every_home_matches(db, people, 2)
    others = [row for row in feed_rows(db) if row.user_id not in emptied]

    with db.engine.begin() as connection:
        assert refill_home_feeds(connection, rows=2, window=window) == emptied
    assert short_feed_readers(db.session.connection(), 2) == []
    assert [row for row in feed_rows(db) if row.user_id not in emptied] == others
    assert_every_home_matches(db, people, 2)
    # Still kept by the triggers, and a refill of readers without a feed makes none.
    db.session.add(Post(body="x", author=quiet[2], timestamp=clock + timedelta(hours=2)))
    db.session.commit()
    assert_every_home_matches(db, people, 2)
    db.session.execute(
        sa.delete(home_feed_horizon).where(home_feed_horizon.c.user_id == burster.id)
    )
    db.session.commit()
    with db.engine.begin() as connection:
        assert refill_home_feeds(connection, [burster.id]) == []
    assert db.session.get(User, burster.id) is not None
    assert not db.session.scalar(
        sa.select(home_feed_horizon.c.user_id).where(home_feed_horizon.c.user_id == burster.id)
    )
    assert_every_home_matches(db, people, 2)


@pytest.mark.usefixtures("feed_settings_put_back")
def test_an_account_merged_before_its_first_post(db):
    """A rebuild merges an account over the limit that has not posted yet (it has no newest
    post to store): its first posts are on its followers' pages all the same."""
    people = [User(username=f"silent{n}", email=f"silent{n}@example.com") for n in range(4)]
    db.session.add_all(people)
    db.session.commit()
    silent = people[0]
    for follower in people[1:]:
        follower.follow(silent)
    db.session.add(Post(body="x", author=people[1], timestamp=START))
    db.session.commit()
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=10, fanout_limit=1)
    assert silent.id in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    for minute in (1, 2, 3):
        db.session.add(Post(body="x", author=silent, timestamp=START + timedelta(minutes=minute)))
        db.session.commit()
    assert_every_home_matches(db, people, 2)


@pytest.mark.usefixtures("feed_settings_put_back")
def test_a_promotion_takes_the_authors_rows_out_of_the_feeds(db):
    """At the follow that takes an account past the fan-out limit, it is merged and its rows
    leave its followers' feeds (its own stay): those of its newest ``size`` posts, and a feed
    that went deeper than its ``size``-th newest post is complete only from there on (its
    older rows, below the horizon, are never read). Its posts after that write no rows in
    other feeds. The pages stay the plain query's, down to the last."""
    size = 6
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=size, fanout_limit=2)
    people = [User(username=f"promo{n}", email=f"promo{n}@example.com") for n in range(5)]
    db.session.add_all(people)
    db.session.commit()
    author, reader, other = people[0], people[1], people[2]
    reader.follow(author)
    reader.follow(other)
    db.session.add(Post(body="older", author=other, timestamp=START))
    db.session.commit()

    def rows_of(reader_id: int, author_id: int) -> list[int]:
        query = sa.select(home_feed.c.post_id).where(
            home_feed.c.user_id == reader_id, home_feed.c.author_id == author_id
        )
        return db.session.scalars(query).all()

    def merged() -> set[int]:
        return set(db.session.scalars(sa.select(home_feed_author.c.user_id)))

    # Posts until the reader's feed holds more than its size (a trim comes at one post in
    # trim_interval(size), chosen by ids): deeper than the author's size-th newest post.
    minute = 0
    while len(rows_of(reader.id, author.id)) <= size:
        minute += 1
        db.session.add(Post(body="x", author=author, timestamp=START + timedelta(minutes=minute)))
        db.session.commit()
    before = len(rows_of(reader.id, author.id))
    people[3].follow(author)  # two followers: at the limit
    db.session.commit()
    assert author.id not in merged()
    assert len(rows_of(people[3].id, author.id)) == size  # the follow copied its newest
    people[4].follow(author)  # three: past it
    db.session.commit()

    assert author.id in merged()
    newest = db.session.execute(
        sa.select(Post.timestamp, Post.id)
        .where(Post.user_id == author.id)
        .order_by(Post.timestamp.desc(), Post.id.desc())
    ).all()
    horizon = db.session.execute(
        sa.select(home_feed_horizon.c.timestamp, home_feed_horizon.c.post_id).where(
            home_feed_horizon.c.user_id == reader.id
        )
    ).one()
    assert tuple(horizon) == tuple(newest[size - 1])
    left = rows_of(reader.id, author.id)
    assert left  # its rows of older posts, below the horizon
    assert len(left) == before - size
    assert all(post_id not in {row.id for row in newest[:size]} for post_id in left)
    for fan in people[3:]:
        assert rows_of(fan.id, author.id) == []
    assert_every_home_matches(db, people, 2)

    later = Post(body="merged", author=author, timestamp=START + timedelta(minutes=99))
    db.session.add(later)
    db.session.commit()
    readers = db.session.scalars(
        sa.select(home_feed.c.user_id).where(home_feed.c.post_id == later.id)
    )
    assert readers.all() == [author.id]
    assert_every_home_matches(db, people, 2)


def test_pages_are_read_from_the_feed(db, make_user, make_post):
    """A complete feed is what the page shows (so the tests above test the feed's path)."""
    reader, author = make_user("reader"), make_user("author")
    reader.follow(author)
    db.session.commit()
    posts = [make_post(author, f"p{n}", START + timedelta(minutes=n)) for n in range(3)]
    assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == [
        p.id for p in reversed(posts)
    ]
    db.session.execute(sa.delete(home_feed).where(home_feed.c.post_id == posts[1].id))
    assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == [
        posts[2].id,
        posts[0].id,
    ]
    # Without a feed (set aside for a bulk load), the page is read from the posts.
    db.session.execute(sa.delete(home_feed_horizon))
    assert [p.id for p in keyset_page(home_timeline(reader), 5).items] == [
        p.id for p in reversed(posts)
    ]
