"""Home feeds made deeper for pages past them (``extend_home_feed``, ``deepen_home_feed``):
the rows and horizon a bigger feed would have, pages that stay the plain query's, and an
extension that never fails the page nor races a post or a follow into a wrong feed."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.listings import timeline
from app.models import Post, User, home_feed, home_feed_horizon
from app.models.feed import (
    SPAN_MARGIN,
    build_home_feed,
    extend_home_feed,
    feed_settings,
    rebuild_home_feeds,
    reset_home_feeds,
)
from tests.helpers import add_users, logged_in
from tests.listings.test_feed_on_demand import (
    START,
    _hold,
    community,
    feed_of,
    shown,
    waits_for_a_held_write,
)
from tests.listings.test_timeline import (
    assert_every_home_matches,
    assert_fanned_out_feeds_are_what_a_build_makes,
)


def long_community() -> dict[str, User]:
    """:func:`community` with a timeline several feeds long: 30 more posts by the accounts
    the reader follows under the fanout limit, older than the others, some of them replies
    to a stranger (not shown to the reader) or hidden."""
    people = community()
    for n in range(30):
        author = people["chatty" if n % 3 else "quiet"]
        post = Post(body=f"old {n}", author=author, timestamp=START - timedelta(hours=30 - n))
        db.session.add(post)
        if n % 7 == 3:
            post.hidden_at = START
    db.session.flush()
    stranger_post = db.session.scalar(sa.select(Post).where(Post.body == "stranger 0"))
    for n in range(4):
        reply = stranger_post.reply(people["chatty"], f"old reply {n}")
        reply.timestamp = START - timedelta(hours=40 + n)
    db.session.commit()
    return people


def rebuild_feeds() -> None:
    """Every feed made again, at the config's size (the session's transaction ended first:
    on PostgreSQL the rebuild replaces triggers, which waits for every open transaction)."""
    db.session.commit()
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection)


def horizon_of(reader_id: int):
    db.session.expire_all()
    return db.session.execute(
        sa.select(home_feed_horizon.c.timestamp, home_feed_horizon.c.post_id).where(
            home_feed_horizon.c.user_id == reader_id
        )
    ).one()


def test_extensions_down_to_the_first_post_make_the_feed_a_whole_build_would(db):
    """Made deeper until complete (each extension reads about as far below the horizon as
    the feed reaches above it): the rows and horizon of a feed built from every post, and
    nothing more to extend."""
    people = long_community()
    reader_id = people["reader"].id
    fanout_limit = feed_settings()[1]
    rebuild_feeds()
    extensions = 0
    while True:
        with db.engine.begin() as connection:
            if not extend_home_feed(connection, reader_id):
                break
        extensions += 1
        assert extensions < 50
    assert extensions > 1
    deeper = feed_of(reader_id)
    assert deeper[1][0].timestamp is None
    with db.engine.connect() as connection:
        connection.execute(sa.delete(home_feed).where(home_feed.c.user_id == reader_id))
        connection.execute(
            sa.delete(home_feed_horizon).where(home_feed_horizon.c.user_id == reader_id)
        )
        assert build_home_feed(connection, reader_id, 10**6, fanout_limit, 10**9)
        whole_rows = connection.execute(
            sa.select(home_feed)
            .where(home_feed.c.user_id == reader_id)
            .order_by(*home_feed.primary_key.columns)
        ).all()
        connection.rollback()
    assert deeper[0] == whole_rows
    assert_every_home_matches(db, [db.session.get(User, reader_id)], 2)


def test_an_extension_reads_about_the_feeds_span_below_its_horizon(db):
    """One extension reads below the horizon about as long a time as the feed's rows above it
    reach (``SPAN_MARGIN`` times it), from the first post there: no post between that post
    and the old horizon is missing from the feed, and pages stay the plain query's."""
    people = long_community()
    reader_id = people["reader"].id
    rebuild_feeds()
    before = horizon_of(reader_id)
    newest = db.session.scalar(
        sa.select(sa.func.max(home_feed.c.timestamp)).where(home_feed.c.user_id == reader_id)
    )
    with db.engine.begin() as connection:
        assert extend_home_feed(connection, reader_id, size=1000)
    after = horizon_of(reader_id)
    since = before.timestamp - (newest - before.timestamp) * SPAN_MARGIN
    assert since <= after.timestamp < before.timestamp
    authors = [people[n].id for n in ("reader", "quiet", "chatty")]
    between = set(
        db.session.scalars(
            sa.select(Post.id).where(
                Post.user_id.in_(authors),
                sa.tuple_(Post.timestamp, Post.id) >= sa.tuple_(*after),
                sa.tuple_(Post.timestamp, Post.id) < sa.tuple_(*before),
            )
        )
    )
    assert between
    assert between <= {row.post_id for row in feed_of(reader_id)[0]}
    assert_every_home_matches(db, [db.session.get(User, reader_id)], 2)


def test_an_extension_of_a_feed_without_rows_stops_at_its_windows_edge(db):
    """A feed with no rows above its horizon has no span: the extension reads a window of
    posts site-wide below it instead, and the horizon moves to the window's edge, not lower
    (nothing below it was read)."""
    people = long_community()
    reader_id = people["reader"].id
    rebuild_feeds()
    before = horizon_of(reader_id)
    db.session.execute(sa.delete(home_feed).where(home_feed.c.user_id == reader_id))
    db.session.commit()
    with db.engine.begin() as connection:
        assert extend_home_feed(connection, reader_id, size=1000, window=5)
    after = horizon_of(reader_id)
    edge = db.session.execute(
        sa.select(Post.timestamp, Post.id)
        .where(sa.tuple_(Post.timestamp, Post.id) < sa.tuple_(*before))
        .order_by(Post.timestamp.desc(), Post.id.desc())
        .offset(4)
        .limit(1)
    ).one()
    assert tuple(after) == tuple(edge)


def test_extend_does_nothing_without_a_feed_or_an_account(db):
    people = long_community()
    reader_id = people["reader"].id
    db.session.commit()
    with db.engine.begin() as connection:
        reset_home_feeds(connection)  # as flask fake leaves them: none until a first visit
    with db.engine.begin() as connection:
        assert not extend_home_feed(connection, reader_id)  # no feed yet
        assert not extend_home_feed(connection, 10_000)  # no such account
    assert feed_of(reader_id) == ([], [])


def plain_bodies(reader_id: int) -> list[str]:
    """The reader's whole home timeline by the plain query, as bodies."""
    reader = db.session.get(User, reader_id)
    return [p.body for p in db.session.scalars(reader.following_posts())]


def next_link(page: str) -> str | None:
    found = re.search(r'href="(/[^"]*\?after=[^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def walk_home(client, posts: list[Post]) -> list[str]:
    """Every home page by its Next links: the bodies each shows, in order."""
    bodies, url = [], "/"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        bodies += shown(text, posts)
        url = next_link(text)
    return bodies


def test_pages_past_the_feed_make_it_deeper_and_show_the_plain_timeline(app, db, monkeypatch):
    people = long_community()
    reader_id = people["reader"].id
    rebuild_feeds()
    first_horizon = horizon_of(reader_id)
    calls = []
    real = timeline.extend_home_feed

    def counted(connection, reader, *args, **kwargs):
        calls.append(reader)
        return real(connection, reader, *args, **kwargs)

    monkeypatch.setattr(timeline, "extend_home_feed", counted)
    client = logged_in(app, "reader")
    posts, expected = db.session.scalars(sa.select(Post)).all(), plain_bodies(reader_id)

    assert walk_home(client, posts) == expected
    assert calls  # the walk went past the feed, which went deeper
    last_horizon = horizon_of(reader_id)
    assert first_horizon.timestamp is not None
    assert last_horizon.timestamp is None or tuple(last_horizon) < tuple(first_horizon)
    assert_every_home_matches(db, [db.session.get(User, reader_id)], 2)
    assert_fanned_out_feeds_are_what_a_build_makes(db, *feed_settings())
    # Walked again: the feed reaches every page now (until a trim cuts it back).
    calls.clear()
    assert walk_home(client, posts) == expected
    assert calls == []


def test_a_bad_cursor_is_the_400_page_and_makes_nothing_deeper(app, db, monkeypatch):
    long_community()
    rebuild_feeds()
    monkeypatch.setattr(timeline, "extend_home_feed", lambda *a, **k: pytest.fail("extended"))
    client = logged_in(app, "reader")
    assert client.get("/?after=not-a-cursor").status_code == 400


def test_an_extension_that_fails_leaves_the_page_read_from_the_posts(app, db, monkeypatch, caplog):
    people = long_community()
    reader_id = people["reader"].id
    rebuild_feeds()
    before = feed_of(reader_id)

    def refused(connection, reader, *args, **kwargs):
        connection.exec_driver_sql("SELECT no_such_column FROM home_feed")  # any database error

    monkeypatch.setattr(timeline, "extend_home_feed", refused)
    client = logged_in(app, "reader")
    posts, expected = db.session.scalars(sa.select(Post)).all(), plain_bodies(reader_id)
    assert walk_home(client, posts) == expected
    assert "Could not make the home feed deeper" in caplog.text
    assert feed_of(reader_id) == before


def test_a_trim_cuts_a_deeper_feed_back_to_its_size(app, db):
    people = long_community()
    reader_id = people["reader"].id
    size, _ = feed_settings()
    rebuild_feeds()
    for _ in range(3):
        with db.engine.begin() as connection:
            extend_home_feed(connection, reader_id)
    assert len(feed_of(reader_id)[0]) > 2 * size
    for n in range(2 * size):
        db.session.add(
            Post(
                body=f"new {n}",
                author=people["quiet"],
                timestamp=START + timedelta(days=1, minutes=n),
            )
        )
        db.session.commit()
    assert len(feed_of(reader_id)[0]) < 2 * size
    assert_every_home_matches(db, [db.session.get(User, reader_id)], 2)


@pytest.mark.parametrize("change", ["post", "follow", "unfollow"])
def test_a_change_during_an_extension_waits_and_then_shows(shared_app, shared_db, change):
    """A post by a followed account (whose trim would move the horizon), a follow or an
    unfollow by the reader, while their feed goes deeper: it waits for the extension (the
    counts rows and the reader's row on PostgreSQL, the write lock on SQLite), and the feed
    it leaves is right."""
    people = long_community()
    reader_id, quiet_id, stranger_id = (people[n].id for n in ("reader", "quiet", "stranger"))
    rebuild_feeds()

    def act() -> bool:
        with shared_app.app_context():
            reader = db.session.get(User, reader_id)
            if change == "post":
                db.session.add(
                    Post(body="quiet, now", user_id=quiet_id, timestamp=START + timedelta(hours=9))
                )
            elif change == "follow":
                reader.follow(db.session.get(User, stranger_id))
            else:
                reader.unfollow(db.session.get(User, quiet_id))
            db.session.commit()
            db.session.remove()
        return True

    held = _hold(shared_app, lambda c: extend_home_feed(c, reader_id))
    assert waits_for_a_held_write(shared_app, held, act)
    db.session.expire_all()
    assert_every_home_matches(db, [db.session.get(User, reader_id)], 2)
    assert_fanned_out_feeds_are_what_a_build_makes(db, *feed_settings())


def test_readers_of_many_accounts_get_deeper_feeds_that_match(app, db):
    """Several readers, each following a different mix, every page walked through the app:
    the plain query's timeline for each, and feeds that a build would make."""
    names = [f"w{n}" for n in range(8)]
    people = add_users(*names)
    for i, person in enumerate(people):
        for other in people[i + 1 : i + 4]:
            person.follow(other)
    db.session.commit()
    for n in range(60):
        author = people[n % len(people)]
        db.session.add(
            Post(body=f"w post {n}", author=author, timestamp=START + timedelta(minutes=n * 5))
        )
    db.session.commit()
    rebuild_feeds()
    posts = db.session.scalars(sa.select(Post)).all()
    for person in people:
        client = logged_in(app, person.username)
        expected = [p.body for p in db.session.scalars(person.following_posts())]
        assert walk_home(client, posts) == expected, person.username
    assert_fanned_out_feeds_are_what_a_build_makes(db, *feed_settings())


def test_an_extension_for_a_horizon_that_moved_writes_nothing(db):
    """Two pages past the feed at once: the second, holding the horizon it read before the
    first made the feed deeper, writes nothing and is told to look again (True)."""
    people = long_community()
    reader_id = people["reader"].id
    rebuild_feeds()
    seen = tuple(horizon_of(reader_id))
    with db.engine.begin() as connection:
        assert extend_home_feed(connection, reader_id, seen=seen)
    deeper = feed_of(reader_id)
    assert tuple(horizon_of(reader_id)) != seen
    with db.engine.begin() as connection:
        assert extend_home_feed(connection, reader_id, seen=seen)
    assert feed_of(reader_id) == deeper


def test_rows_left_below_the_horizon_are_not_shown_twice_once_it_goes_deeper(app, db):
    """Rows below a feed's horizon are never read by pages, and nothing keeps them right: say
    one of an account merged since (its promotion takes its rows out of the feeds only at and
    above their horizons). Made deeper, the feed must not offer it beside the merged
    accounts' posts, nor any other row it did not write afresh."""
    people = long_community()
    reader_id, quiet_id = people["reader"].id, people["quiet"].id
    for fan in ("fan1", "fan2", "fan3"):
        people[fan].follow(people["quiet"])
    db.session.commit()  # quiet is merged: read at page time
    rebuild_feeds()
    horizon = horizon_of(reader_id)
    below = db.session.execute(
        sa.select(Post.timestamp, Post.id)
        .where(Post.user_id == quiet_id)
        .where(sa.tuple_(Post.timestamp, Post.id) < sa.tuple_(*horizon))
        .order_by(Post.timestamp.desc())
        .limit(1)
    ).one()
    db.session.execute(
        sa.insert(home_feed).values(
            user_id=reader_id, timestamp=below.timestamp, post_id=below.id, author_id=quiet_id
        )
    )
    db.session.commit()
    client = logged_in(app, "reader")
    posts, expected = db.session.scalars(sa.select(Post)).all(), plain_bodies(reader_id)
    assert walk_home(client, posts) == expected
    assert_fanned_out_feeds_are_what_a_build_makes(db, *feed_settings())
