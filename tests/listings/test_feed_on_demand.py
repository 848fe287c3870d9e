"""Home feeds built on the reader's first home visit (``flask fake`` leaves every feed to it):
the page of that visit and of every later one is the plain query's, whatever happened to the
reader's timeline before, and a build never fails the page nor makes two feeds."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.listings import timeline
from app.models import (
    Post,
    User,
    home_feed,
    home_feed_author,
    home_feed_horizon,
    home_feed_merged,
)
from app.models.feed import build_home_feed, feed_settings, rebuild_home_feeds, reset_home_feeds
from app.models.types import utcnow
from tests.helpers import TIMEOUT, add_users, logged_in
from tests.listings.test_timeline import (
    assert_every_home_matches,
    assert_fanned_out_feeds_are_what_a_build_makes,
)

START = utcnow() - timedelta(days=1)


def feed_of(reader_id: int) -> tuple[list, list]:
    """The reader's feed rows and horizon row(s)."""
    rows = db.session.execute(
        sa.select(home_feed)
        .where(home_feed.c.user_id == reader_id)
        .order_by(*home_feed.primary_key.columns)
    ).all()
    horizon = db.session.execute(
        sa.select(home_feed_horizon).where(home_feed_horizon.c.user_id == reader_id)
    ).all()
    return rows, horizon


def shown(page: str, posts: list[Post]) -> list[str]:
    """The bodies of ``posts`` that ``page`` shows, in the page's order."""
    found = [(page.find(f">{p.body}<"), p.body) for p in posts]
    return [body for at, body in sorted(found) if at >= 0]


def first_page_bodies(reader: User, per_page: int) -> list[str]:
    return [p.body for p in db.session.scalars(reader.following_posts().limit(per_page))]


def community() -> dict[str, User]:
    """A reader following two authors under the fanout limit (3 in tests) and one over it,
    with posts by all of them, the reader and someone not followed; everyone confirmed."""
    names = ["reader", "quiet", "chatty", "star", "fan1", "fan2", "fan3", "stranger"]
    people = dict(zip(names, add_users(*names), strict=True))
    for name in ("quiet", "chatty", "star"):
        people["reader"].follow(people[name])
    for fan in ("fan1", "fan2", "fan3"):
        people[fan].follow(people["star"])
    db.session.commit()
    minute = 0
    for author, count in (("chatty", 9), ("quiet", 2), ("star", 4), ("reader", 2)):
        for n in range(count):
            minute += 7 if author != "star" else 3
            db.session.add(
                Post(
                    body=f"{author} {n}",
                    author=people[author],
                    timestamp=START + timedelta(minutes=minute),
                )
            )
    stranger_at = START + timedelta(hours=4)
    db.session.add(Post(body="stranger 0", author=people["stranger"], timestamp=stranger_at))
    db.session.commit()
    return people


def switch_feeds_to_on_demand() -> None:
    """As ``flask fake`` leaves them: no feed, merged accounts and triggers made."""
    db.session.commit()
    with db.engine.begin() as connection:
        reset_home_feeds(connection)


def rebuilt_feed_of(reader_id: int) -> tuple[list, list]:
    """The reader's feed as :func:`rebuild_home_feeds` makes it (every feed is rebuilt)."""
    db.session.commit()
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection)
    return feed_of(reader_id)


def test_the_first_home_visit_builds_the_feed_and_shows_the_plain_page(app, db):
    people = community()
    reader = people["reader"]
    switch_feeds_to_on_demand()
    assert set(db.session.scalars(sa.select(home_feed_author.c.user_id))) == {people["star"].id}
    # Posts made while the reader has no feed write no row for them (nor for their author,
    # who has none either): the fan-out writes only into feeds that exist.
    later = Post(body="quiet late", author=people["quiet"], timestamp=START + timedelta(hours=3))
    db.session.add(later)
    db.session.commit()
    assert feed_of(reader.id) == ([], [])
    assert feed_of(people["quiet"].id) == ([], [])
    all_posts = db.session.scalars(sa.select(Post)).all()
    expected = first_page_bodies(reader, app.config["POSTS_PER_PAGE"])

    client = logged_in(app, "reader")
    page = client.get("/").get_data(as_text=True)

    assert shown(page, all_posts) == expected
    built = feed_of(reader.id)
    assert built[1]  # a horizon: pages read the feed from now on
    assert built == rebuilt_feed_of(reader.id)  # the rows and horizon a rebuild makes
    assert len(built[0]) == app.config["HOME_FEED_SIZE"]
    assert people["star"].id not in {row.author_id for row in built[0]}  # merged: read at page time
    assert_every_home_matches(db, [reader], 2)


def test_later_visits_read_the_feed_without_building_it(app, db, monkeypatch):
    community()
    switch_feeds_to_on_demand()
    client = logged_in(app, "reader")
    assert client.get("/").status_code == 200
    reader_id = db.session.scalar(sa.select(User.id).where(User.username == "reader"))
    before = feed_of(reader_id)

    def no_second_build(*_args, **_kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr(timeline, "build_home_feed", no_second_build)
    assert client.get("/").status_code == 200
    assert feed_of(reader_id) == before


def test_an_unconfirmed_reader_gets_a_feed_and_a_suspended_one_no_page(app, db):
    people = community()
    people["reader"].email_confirmed_at = None
    db.session.commit()
    switch_feeds_to_on_demand()
    client = logged_in(app, "reader")
    page = client.get("/")
    assert page.status_code == 200
    expected = first_page_bodies(people["reader"], app.config["POSTS_PER_PAGE"])
    assert shown(page.get_data(as_text=True), db.session.scalars(sa.select(Post)).all()) == expected
    assert feed_of(people["reader"].id)[1]

    # A suspended account is logged out: it sees the login page, and nothing is built.
    fan = logged_in(app, "fan1")
    db.session.execute(
        sa.update(User).where(User.id == people["fan1"].id).values(suspended_at=utcnow())
    )
    db.session.commit()
    assert fan.get("/").status_code == 302
    assert feed_of(people["fan1"].id) == ([], [])


def test_a_build_that_fails_leaves_the_page_read_from_the_posts(app, db, monkeypatch, caplog):
    community()
    switch_feeds_to_on_demand()
    reader_id = db.session.scalar(sa.select(User.id).where(User.username == "reader"))

    def refused(connection, reader, *args, **kwargs):
        connection.exec_driver_sql("SELECT no_such_column FROM home_feed")  # any database error

    monkeypatch.setattr(timeline, "build_home_feed", refused)
    client = logged_in(app, "reader")
    response = client.get("/")
    assert response.status_code == 200
    reader = db.session.get(User, reader_id)
    expected = first_page_bodies(reader, app.config["POSTS_PER_PAGE"])
    assert shown(response.get_data(as_text=True), db.session.scalars(sa.select(Post)).all()) == (
        expected
    )
    assert "Could not build the home feed" in caplog.text
    assert feed_of(reader_id)[1] == []
    monkeypatch.undo()
    assert client.get("/").status_code == 200
    assert feed_of(reader_id)[1]  # the next visit builds it


def test_build_home_feed_does_nothing_for_a_feed_or_an_account_that_is_there_or_gone(db):
    people = community()
    with db.engine.begin() as connection:
        assert not build_home_feed(connection, people["reader"].id)  # has one
        assert not build_home_feed(connection, 10_000)  # no such account
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(home_feed_horizon)
            .where(home_feed_horizon.c.user_id == 10_000)
        )
        == 0
    )


# Two requests at once, on a database every connection sees (a file on SQLite).


def _hold(app, write) -> tuple[threading.Thread, threading.Event]:
    """In a thread: ``write(connection)``, then keep the transaction open until the event
    returned is set; returns once the write is done."""
    written, release = threading.Event(), threading.Event()

    def run() -> None:
        with app.app_context(), db.engine.connect() as connection:
            write(connection)
            written.set()
            release.wait(TIMEOUT)
            connection.commit()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert written.wait(TIMEOUT)
    return thread, release


def _hold_a_build(app, reader_id: int) -> tuple[threading.Thread, threading.Event]:
    """:func:`_hold` of a build of the reader's feed."""

    def build(connection: sa.Connection) -> None:
        assert build_home_feed(connection, reader_id)

    return _hold(app, build)


def _in_thread(call):
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", call()), daemon=True)
    thread.start()
    return thread, result


def _waits_for_a_held_build(app, reader_id: int, call):
    """Hold a build of the reader's feed open, run ``call`` in a thread, check that it waits
    for the build, then let the build commit; ``call``'s result."""
    return waits_for_a_held_write(app, _hold_a_build(app, reader_id), call)


def waits_for_a_held_write(app, held: tuple[threading.Thread, threading.Event], call):
    """With a write ``held`` open (:func:`_hold`), run ``call`` in a thread, check that it
    waits for the write, then let the write commit; ``call``'s result."""
    holder, release = held
    acting, result = _in_thread(call)
    acting.join(0.5)
    assert acting.is_alive()  # waits for the held write
    release.set()
    holder.join(TIMEOUT)
    acting.join(TIMEOUT)
    return result["value"]


def test_two_first_visits_at_once_make_one_feed(shared_app, shared_db, caplog):
    people = community()
    reader_id = people["reader"].id
    switch_feeds_to_on_demand()
    client = logged_in(shared_app, "reader")
    # The page's own build waits for the other one (the reader's row on PostgreSQL, the write
    # lock on SQLite), then finds the feed made and reads it.
    response = _waits_for_a_held_build(shared_app, reader_id, lambda: client.get("/"))
    assert response.status_code == 200
    assert "Could not build the home feed" not in caplog.text  # no duplicate key, no error
    db.session.expire_all()
    reader = db.session.get(User, reader_id)
    expected = first_page_bodies(reader, shared_app.config["POSTS_PER_PAGE"])
    posts = db.session.scalars(sa.select(Post)).all()
    assert shown(response.get_data(as_text=True), posts) == expected
    rows, horizon = feed_of(reader_id)
    assert len(horizon) == 1
    assert (rows, horizon) == rebuilt_feed_of(reader_id)


@pytest.mark.parametrize("change", ["unfollow", "follow", "post"])
def test_the_readers_own_change_during_the_build_waits_and_then_shows(
    shared_app, shared_db, change
):
    """An unfollow, a follow or a post by the reader while their feed is being built comes
    after the build (it waits), so the feed it leaves is right."""
    people = community()
    reader_id = people["reader"].id
    other = {"unfollow": "chatty", "follow": "stranger", "post": "reader"}[change]
    other_id = people[other].id
    switch_feeds_to_on_demand()

    def act() -> None:
        with shared_app.app_context():
            reader, account = db.session.get(User, reader_id), db.session.get(User, other_id)
            if change == "unfollow":
                reader.unfollow(account)
            elif change == "follow":
                reader.follow(account)
            else:
                db.session.add(
                    Post(body="mine, now", author=reader, timestamp=START + timedelta(hours=5))
                )
            db.session.commit()
            db.session.remove()
        return True

    assert _waits_for_a_held_build(shared_app, reader_id, act)
    db.session.expire_all()
    reader = db.session.get(User, reader_id)
    assert_every_home_matches(db, [reader], 2)
    rows, horizon = feed_of(reader_id)
    assert len(horizon) == 1
    authors = {row.author_id for row in rows}
    if change == "unfollow":
        assert other_id not in authors
    else:
        assert other_id in authors


def test_a_feed_taken_away_while_remembered_leaves_right_pages(app, db):
    """A process remembers who has a feed; if the feeds are taken away meanwhile (a reset),
    the remembered reader's pages are read from the posts, right, until it asks again."""
    people = community()
    switch_feeds_to_on_demand()
    client = logged_in(app, "reader")
    assert client.get("/").status_code == 200
    switch_feeds_to_on_demand()
    posts = db.session.scalars(sa.select(Post)).all()
    expected = first_page_bodies(people["reader"], app.config["POSTS_PER_PAGE"])
    assert shown(client.get("/").get_data(as_text=True), posts) == expected
    assert feed_of(people["reader"].id) == ([], [])  # not asked again yet
    timeline._HAS_FEED.clear(app)
    assert shown(client.get("/").get_data(as_text=True), posts) == expected
    assert feed_of(people["reader"].id)[1]


def _hold_a_post(app, author_id: int, body: str) -> tuple[threading.Thread, threading.Event]:
    """:func:`_hold` of a post by ``author_id`` (its triggers run)."""
    post = sa.insert(Post).values(
        body=body, user_id=author_id, timestamp=START + timedelta(hours=6)
    )
    return _hold(app, lambda connection: connection.execute(post))


def _post_id(body: str) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Post.id).where(Post.body == body))


def test_a_followed_accounts_post_during_the_build_waits_and_then_is_in_the_feed(
    shared_app, shared_db
):
    """The fan-out writes only into feeds that exist, and a feed being built is not there for
    other transactions yet: a post by an account the reader follows waits for the build
    (its counts row, share-locked by the build, on PostgreSQL), then sees the feed."""
    people = community()
    reader_id, quiet_id = people["reader"].id, people["quiet"].id
    switch_feeds_to_on_demand()

    def act() -> bool:
        with shared_app.app_context():
            db.session.add(
                Post(body="quiet, now", user_id=quiet_id, timestamp=START + timedelta(hours=5))
            )
            db.session.commit()
            db.session.remove()
        return True

    assert _waits_for_a_held_build(shared_app, reader_id, act)
    rows, _ = feed_of(reader_id)
    assert _post_id("quiet, now") in {row.post_id for row in rows}
    assert_fanned_out_feeds_are_what_a_build_makes(db, *feed_settings())
    assert_every_home_matches(db, [db.session.get(User, reader_id)], 2)


def test_a_post_under_way_when_the_build_starts_is_in_the_feed(shared_app, shared_db):
    """A post by a followed account whose trigger ran before the feed was there (so it wrote
    no row for the reader) and that commits during the build: the build waits for it and
    reads it from the posts."""
    people = community()
    reader_id, quiet_id = people["reader"].id, people["quiet"].id
    switch_feeds_to_on_demand()
    poster, release = _hold_a_post(shared_app, quiet_id, "quiet, under way")

    def build() -> bool:
        with shared_app.app_context(), db.engine.begin() as connection:
            return build_home_feed(connection, reader_id)

    building, result = _in_thread(build)
    building.join(0.5)
    assert building.is_alive()  # waits for the post
    release.set()
    poster.join(TIMEOUT)
    building.join(TIMEOUT)
    assert result["value"]
    rows, horizon = feed_of(reader_id)
    assert _post_id("quiet, under way") in {row.post_id for row in rows}
    assert (rows, horizon) == rebuilt_feed_of(reader_id)


def test_two_follows_that_take_an_account_past_the_fanout_limit_merge_it_once(
    shared_app, shared_db
):
    """An account is merged at the follow that takes it past the fan-out limit (3 in tests).
    Two such follows at once: the second waits for the first (the counts rows, locked first
    by the follow's trigger on PostgreSQL), then finds the account merged; no duplicate key
    in ``home_feed_author`` or ``home_feed_merged``, and its rows are out of the feeds."""
    people = community()
    quiet = people["quiet"]
    for fan in ("fan1", "fan2"):
        people[fan].follow(quiet)
    db.session.commit()
    quiet_id, fan3_id, stranger_id = quiet.id, people["fan3"].id, people["stranger"].id
    assert quiet_id not in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    follow = sa.text(
        "INSERT INTO followers (follower_id, followed_id, created_at) "
        "VALUES (:follower, :followed, :at)"
    )
    first = {"follower": fan3_id, "followed": quiet_id, "at": START}
    following, release = _hold(shared_app, lambda connection: connection.execute(follow, first))

    def second() -> bool:
        with shared_app.app_context(), db.engine.begin() as connection:
            connection.execute(follow, {"follower": stranger_id, "followed": quiet_id, "at": START})
        return True

    seconding, result = _in_thread(second)
    seconding.join(0.5)
    assert seconding.is_alive()  # waits for the first
    release.set()
    following.join(TIMEOUT)
    seconding.join(TIMEOUT)
    assert result.get("value")  # no duplicate key
    db.session.expire_all()
    authors = list(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert authors.count(quiet_id) == 1
    merged_posts = db.session.scalars(
        sa.select(home_feed_merged.c.post_id).where(home_feed_merged.c.author_id == quiet_id)
    ).all()
    quiet_posts = db.session.scalars(sa.select(Post.id).where(Post.user_id == quiet_id)).all()
    assert sorted(merged_posts) == sorted(quiet_posts)
    others = sa.select(home_feed.c.user_id).where(
        home_feed.c.author_id == quiet_id, home_feed.c.user_id != quiet_id
    )
    assert db.session.scalars(others).all() == []
    for reader in ("reader", "fan1", "fan3", "stranger"):
        assert_every_home_matches(db, [db.session.get(User, people[reader].id)], 2)
