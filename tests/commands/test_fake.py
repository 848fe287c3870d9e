"""``flask fake`` fills an empty database with data that looks like a real community."""

import re
import statistics
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from app.commands import fake, fake_sql
from app.commands.fake import DEFAULT_PASSWORD
from app.commands.fake_notifications import FOLLOW_DAYS
from app.models import (
    POST_MAX_LENGTH,
    USERNAME_PATTERN,
    Like,
    Notification,
    Post,
    PostSearch,
    PostSearchRecent,
    User,
    followers,
    post_stats,
    user_stats,
)
from app.models.counts import (
    RECOUNT,
    RECOUNT_LIKES,
    RECOUNT_REPLIES,
    present_triggers,
    trigger_names,
)
from app.models.feed import (
    build_home_feed,
    feed_trigger_names,
    home_feed,
    home_feed_author,
    home_feed_horizon,
    home_feed_merged,
    rebuild_home_feeds,
    reset_home_feeds,
)
from app.models.notifications import FOLLOW, LIKE, REPLY
from app.models.search import rebuild_index
from app.models.types import utcnow
from tests.helpers import FormClient
from tests.listings.test_timeline import assert_every_home_matches
from tests.search.test_index import (
    expected,
    fts5_is_consistent,
    sample_queries,
    searched,
    snapshot,
)

ARGS = ["fake", "--users", "60", "--posts", "900", "--follows", "8"]


def test_fake_fills_an_empty_database(runner, db, client, make_user):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert "Added 60 users" in result.output

    users = db.session.scalars(sa.select(User)).all()
    assert len(users) == 60
    assert all(USERNAME_PATTERN.match(u.username) for u in users)
    posts = db.session.execute(
        sa.select(Post.id, Post.timestamp, Post.body).order_by(Post.id)
    ).all()
    assert len(posts) == 900
    assert all(0 < len(body) <= POST_MAX_LENGTH for _, _, body in posts)
    times = [when for _, when, _ in posts]
    assert times == sorted(times)  # ids grow with time, as in real use
    assert utcnow() - timedelta(days=731) < times[0]
    assert times[-1] <= utcnow()

    # Skewed: a few people are followed by many, someone follows everybody.
    follower_counts = db.session.scalars(
        sa.select(sa.func.count()).select_from(followers).group_by(followers.c.followed_id)
    ).all()
    assert max(follower_counts) >= 3 * statistics.median(follower_counts)
    assert max(u.following_count() for u in users) == 59
    # Each follow began once both accounts existed, and not in the future.
    joined = dict(db.session.execute(sa.select(User.id, User.created_at)).all())
    follows = db.session.execute(
        sa.select(followers.c.follower_id, followers.c.followed_id, followers.c.created_at)
    ).all()
    assert all(max(joined[a], joined[b]) <= began <= utcnow() for a, b, began in follows)
    if db.engine.dialect.name == "sqlite":
        # Written past SQLAlchemy's types, as they write them: UTC text that keyset pages
        # compare as text.
        stored = db.session.execute(sa.text("SELECT created_at FROM followers")).scalars()
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", t) for t in stored)
    post_counts = db.session.scalars(
        sa.select(sa.func.count()).select_from(Post).group_by(Post.user_id)
    ).all()
    assert max(post_counts) >= 4 * statistics.median(post_counts)

    # Anyone can log in with the shared password; new sign-ups still get fresh ids.
    response = client.submit(
        "/auth/login", {"username": users[5].username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert make_user("newcomer").id == 61


@pytest.mark.parametrize(
    "began",
    [
        datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before PostgreSQL's epoch
        datetime(2000, 1, 1, tzinfo=UTC),
    ],
)
def test_follows_written_in_bulk_keep_their_time_to_the_microsecond(db, make_user, began):
    """The follows' times go to the database as integers (on PostgreSQL the binary
    ``timestamptz`` itself): they must come back as the same instant, read by the models."""
    alice, bob = make_user("alice"), make_user("bob")
    with db.engine.connect() as connection:
        fake_sql.insert_follows(connection, [(alice.id, bob.id, fake_sql.micros(began))])
        connection.commit()
    stored = db.session.scalar(
        sa.select(followers.c.created_at).where(followers.c.follower_id == alice.id)
    )
    assert stored == began
    assert fake_sql.micros(began) == round((began.timestamp()) * 1_000_000)


def _who_follows_whom(db) -> set[tuple[str, str]]:
    follower, followed = so.aliased(User), so.aliased(User)
    return set(
        db.session.execute(
            sa.select(follower.username, followed.username)
            .join(followers, followers.c.follower_id == follower.id)
            .join(followed, followed.id == followers.c.followed_id)
        ).all()
    )


def test_same_seed_same_data(runner, db):
    assert runner.invoke(args=[*ARGS, "--seed", "9"]).exit_code == 0
    first = db.session.execute(sa.select(User.username, User.about_me).order_by(User.id)).all()
    follows = _who_follows_whom(db)
    posts = _who_wrote_what(db)
    db.session.execute(sa.delete(User))
    db.session.commit()
    assert runner.invoke(args=[*ARGS, "--seed", "9"]).exit_code == 0
    again = db.session.execute(sa.select(User.username, User.about_me).order_by(User.id)).all()
    assert again == first
    assert _who_follows_whom(db) == follows
    if db.engine.dialect.name == "postgresql":  # posts are drawn from their number there
        assert _who_wrote_what(db) == posts
    db.session.execute(sa.delete(User))
    db.session.commit()
    assert runner.invoke(args=[*ARGS, "--seed", "10"]).exit_code == 0
    assert _who_follows_whom(db) != follows
    assert _who_wrote_what(db) != posts


def _who_wrote_what(db) -> list:
    """Each post's author (by name), text and the post it answers, in id order."""
    return db.session.execute(
        sa.select(User.username, Post.body, Post.in_reply_to_id).join(Post.author).order_by(Post.id)
    ).all()


def test_fake_refuses_a_database_with_users(runner, db, alice):
    result = runner.invoke(args=ARGS)
    assert result.exit_code != 0
    assert "already has users" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


BULK = ["fake", "--users", "300", "--posts", "5000", "--follows", "20"]


def _counts(db):
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        db.session.scalar(sa.select(sa.func.count()).select_from(followers)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Post)),
    )


def _interrupt_third_call(monkeypatch, name: str):
    """Make the third call of ``fake_sql.<name>`` (a chunk of the load) a Ctrl-C; returns
    the function as it was, to put back for the resumed run."""
    original, calls = getattr(fake_sql, name), []

    def interrupted(*args):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        original(*args)

    monkeypatch.setattr(fake_sql, name, interrupted)
    return original


def _schema_names(db):
    """Index and foreign key names of the tables the load sets constraints aside on."""
    inspector = sa.inspect(db.engine)
    return {
        table: sorted(
            [i["name"] for i in inspector.get_indexes(table)]
            + [k["name"] for k in inspector.get_foreign_keys(table)]
        )
        for table in (
            "post",
            "followers",
            "post_search",
            "post_tag",
            "post_like",
            "notification",
            "post_stats",
        )
    }


def test_bulk_load_is_shaped_like_a_community(runner, db, client):
    schema = _schema_names(db)
    result = runner.invoke(args=BULK)
    assert result.exit_code == 0, result.output
    users, follows, posts = _counts(db)
    assert (users, posts) == (300, 5000)
    # Duplicate draws are drawn again: close to the 20 asked for on average.
    assert 17 * 300 <= follows <= 23 * 300
    pairs = db.session.execute(sa.select(followers.c.follower_id, followers.c.followed_id)).all()
    assert len(set(pairs)) == len(pairs) == follows
    assert all(a != b for a, b in pairs)

    # Zipf: the most followed account is followed by a good share of everyone, the median one
    # by a few times fewer; the heavy follower follows the 299 others.
    by_followed = db.session.scalars(
        sa.select(sa.func.count()).select_from(followers).group_by(followers.c.followed_id)
    ).all()
    assert max(by_followed) >= 75
    assert max(by_followed) >= 4 * statistics.median(by_followed)
    by_follower = db.session.scalars(
        sa.select(sa.func.count()).select_from(followers).group_by(followers.c.follower_id)
    ).all()
    assert max(by_follower) == 299
    assert len(by_follower) == 300  # everyone follows someone
    # Log-normal activity: a few write a lot, many rarely or never.
    by_author = db.session.scalars(
        sa.select(sa.func.count()).select_from(Post).group_by(Post.user_id)
    ).all()
    assert max(by_author) >= 10 * statistics.median(by_author)
    assert len(by_author) < 300

    # Times: ids grow with time; people join before their first post and follow after both
    # accounts exist.
    times = db.session.scalars(sa.select(Post.timestamp).order_by(Post.id)).all()
    assert times == sorted(times)
    assert utcnow() - timedelta(days=731) < times[0]
    assert times[-1] <= utcnow()
    first_posts = db.session.execute(
        sa.select(User.created_at, User.email_confirmed_at, sa.func.min(Post.timestamp))
        .join(Post, Post.user_id == User.id)
        .group_by(User.id)
    ).all()
    assert all(joined == confirmed <= first for joined, confirmed, first in first_posts)
    joined = dict(db.session.execute(sa.select(User.id, User.created_at)).all())
    began = db.session.execute(
        sa.select(followers.c.follower_id, followers.c.followed_id, followers.c.created_at)
    ).all()
    assert all(max(joined[a], joined[b]) <= when <= utcnow() for a, b, when in began)
    assert _schema_names(db) == schema  # what the load set aside is back
    _assert_home_feeds_built(db)

    # The timeline works: a reader logs in with the shared password and sees a full page.
    reader = db.session.scalar(sa.select(User).order_by(User.id).limit(1))
    response = client.submit(
        "/auth/login", {"username": reader.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").get_data(as_text=True).count('<article class="post') == 3


def _present_feed_triggers(connection) -> set[str]:
    """The feeds' triggers the database has."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    found = set(connection.exec_driver_sql(query).scalars())
    return found & feed_trigger_names(connection.dialect.name)


def _feeds(connection) -> tuple[list, ...]:
    return tuple(
        connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        for table in (home_feed, home_feed_horizon, home_feed_author, home_feed_merged)
    )


@pytest.mark.parametrize("window", [300, 100_000])
def test_feeds_built_on_first_visits_are_those_of_the_rebuild(runner, db, window):
    """``flask fake`` leaves every feed to be built on its reader's first home visit: built
    reader by reader, the same rows and horizons as the one-transaction rebuild (with a window
    of some posts and of all of them), and the same merged accounts, their posts and the
    triggers from the start."""
    assert runner.invoke(args=BULK).exit_code == 0
    db.session.remove()  # its transaction would keep the rebuild from dropping the triggers
    # Small feeds: full feeds, window-only feeds, short timelines (kept whole) and merged
    # accounts are all there.
    settings = {"size": 10, "fanout_limit": 20}
    with db.engine.connect() as connection:
        assert _feeds(connection)[:2] == ([], [])  # as flask fake leaves them
        assert _feeds(connection)[2]
        rebuild_home_feeds(connection, window=window, **settings)
        connection.commit()
        expected = _feeds(connection)
        horizons = [row.post_id for row in expected[1]]
        assert None in horizons
        assert len([h for h in horizons if h is not None]) > 50
        assert expected[2]
        assert expected[3]  # the merged accounts' posts

        reset_home_feeds(connection, **settings)
        connection.commit()
        assert _feeds(connection) == ([], [], *expected[2:])
        assert _present_feed_triggers(connection) == feed_trigger_names(connection.dialect.name)
        readers = connection.execute(sa.select(User.id).order_by(sa.func.random())).scalars()
        for reader in readers:
            assert build_home_feed(connection, reader, window=window, **settings)
            connection.commit()
        assert _feeds(connection) == expected
        assert not build_home_feed(connection, reader, window=window, **settings)


def _autovacuum_off(db) -> list[str]:
    """The tables whose autovacuum is off (the load turns it off on PostgreSQL meanwhile)."""
    if db.engine.dialect.name != "postgresql":
        return []
    return db.session.scalars(
        sa.text(
            "SELECT relname FROM pg_class "
            "WHERE 'autovacuum_enabled=false' = ANY(reloptions) ORDER BY relname"
        )
    ).all()


def _keys_not_valid(db) -> list[str]:
    """The foreign keys not validated yet (the load adds some ``NOT VALID`` on PostgreSQL, to
    validate them on connections of their own)."""
    if db.engine.dialect.name != "postgresql":
        return []
    return db.session.scalars(
        sa.text("SELECT conname FROM pg_constraint WHERE NOT convalidated ORDER BY conname")
    ).all()


def test_a_run_stopped_before_validating_its_keys_is_finished_by_resume(runner, db, monkeypatch):
    """The keys are added ``NOT VALID`` and then validated: a run killed between the two (no
    interrupt handler to finish them) leaves them not valid, and ``--resume`` validates
    them, leaving the rest as a whole run does."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's foreign keys are never set aside")
    schema, validate_keys = _schema_names(db), fake_sql.validate_keys

    def killed(connection, keys):
        if keys:
            raise RuntimeError("killed before validating")

    monkeypatch.setattr(fake_sql, "validate_keys", killed)
    result = runner.invoke(args=BULK)
    assert isinstance(result.exception, RuntimeError)
    db.session.remove()
    left = _keys_not_valid(db)
    assert {"fk_post_user_id_user", "fk_notification_post_id_post"} <= set(left)

    monkeypatch.setattr(fake_sql, "validate_keys", validate_keys)
    result = runner.invoke(args=[*BULK, "--resume"])
    assert result.exit_code == 0, result.output
    assert _keys_not_valid(db) == []
    assert _schema_names(db) == schema
    assert _autovacuum_off(db) == []
    _assert_stored_counts_right(db)


@pytest.mark.parametrize("weights", [[1], [3, 1], [5, 0, 2, 1, 1], [1] * 7, [40, 1, 1, 1, 2, 9]])
def test_the_alias_table_draws_each_account_in_proportion_to_its_slots(weights):
    """PostgreSQL draws a post's author by position, then keeps it or takes its alias: each
    account's chance, summed over the positions that can give it, is its share of the slots."""
    table = fake_sql.alias_table(weights)
    chance = [0.0] * len(weights)
    for pos, (keep, other) in enumerate(table):
        assert 0 <= keep <= 1 + 1e-12
        chance[pos] += keep / len(weights)
        chance[other] += (1 - keep) / len(weights)
    assert chance == pytest.approx([weight / sum(weights) for weight in weights], abs=1e-12)


def test_lookup_tables_get_their_memory_where_the_connection_allows(db):
    """The load's lookup tables (XL: a million hot posts for the likes) outgrow PostgreSQL's
    default memory for temporary tables; a connection asks for more before its first one. One that
    has had temporary tables keeps its size (PostgreSQL refuses a change), without an error."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps temporary tables in its page cache")
    engine = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as fresh:
            fake_sql.create_temp_tables(fresh)
            assert fresh.exec_driver_sql("SHOW temp_buffers").scalar() == fake_sql.TEMP_BUFFERS
        with engine.connect() as used:
            used.exec_driver_sql("CREATE TEMP TABLE scratch AS SELECT 1 AS n")  # a page used
            size = used.exec_driver_sql("SHOW temp_buffers").scalar()
            fake_sql.create_temp_tables(used)
            assert used.exec_driver_sql("SELECT count(*) FROM fake_alias").scalar() == 0
            kept = used.exec_driver_sql("SHOW temp_buffers").scalar()
            assert kept == size != fake_sql.TEMP_BUFFERS
    finally:
        engine.dispose()


def test_a_key_validated_beside_the_recount_never_deadlocks_with_it(db, monkeypatch):
    """A key's validation runs beside the recount, which drops triggers on ``post`` and then
    locks ``post_search``: a validation of ``post_search``'s key that held its table while
    waiting for ``post`` deadlocked with it. It waits with no lock held instead, and
    validates once the recount commits."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's foreign keys are never set aside")
    key = ("post_search", "fk_post_search_post_id_post")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {key[0]} DROP CONSTRAINT {key[1]}")
        connection.exec_driver_sql(
            f"ALTER TABLE {key[0]} ADD CONSTRAINT {key[1]} FOREIGN KEY (post_id) "
            "REFERENCES post (id) ON DELETE CASCADE NOT VALID"
        )
    refused = threading.Event()
    lock_for_validation = fake_sql._lock_for_validation

    def noted(connection, table, referenced):
        taken = lock_for_validation(connection, table, referenced)
        if not taken:
            refused.set()
        return taken

    monkeypatch.setattr(fake_sql, "_lock_for_validation", noted)
    with db.engine.connect() as recount:
        recount.exec_driver_sql("SET lock_timeout = '5s'")  # a regression fails, not hangs
        recount.exec_driver_sql("LOCK TABLE post IN ACCESS EXCLUSIVE MODE")  # DROP TRIGGER's
        validating = threading.Thread(target=fake_sql.validate_keys, args=(db.engine, [key]))
        validating.start()
        assert refused.wait(10)
        recount.exec_driver_sql("LOCK TABLE post_search IN SHARE MODE")
        recount.commit()
    validating.join(10)
    assert not validating.is_alive()
    assert _keys_not_valid(db) == []


def test_an_interrupted_load_is_usable_and_resumes(runner, db, make_user, monkeypatch):
    monkeypatch.setattr(fake, "POST_CHUNK", 1000)
    monkeypatch.setattr(fake, "FOLLOW_CHUNK", 1000)
    schema = _schema_names(db)
    insert_follows = _interrupt_third_call(monkeypatch, "insert_follows")
    result = runner.invoke(args=BULK)
    assert result.exit_code == 1
    assert "run the same command with --resume" in result.output
    users, follows, posts = _counts(db)
    # Every post chunk and two chunks of follows (50 followers each) were committed.
    assert (users, posts) == (300, 5000)
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(followers.c.follower_id)))) == 100
    # The likes (drawn beside the follows on PostgreSQL, so maybe done by now) are made whole
    # or not at all.
    liked = db.session.scalar(sa.select(sa.func.count()).select_from(Like))
    assert liked == 0 or 20 * 300 <= liked <= 30 * 300

    # Usable meanwhile: the schema is whole (counts and all), every post is found by search,
    # new accounts and posts get fresh ids.
    assert _schema_names(db) == schema
    assert _autovacuum_off(db) == []
    assert _keys_not_valid(db) == []
    _assert_stored_counts_right(db)
    _assert_search_index_whole(db, 5000)
    newcomer = make_user("newcomer")
    db.session.add(Post(body="still works", author=newcomer))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.max(Post.id))) == 5001

    assert "already has users" in runner.invoke(args=BULK).output
    other = runner.invoke(args=[*BULK[:-2], "--follows", "20", "--seed", "5", "--resume"])
    assert "not the ones" in other.output
    db.session.execute(sa.delete(User).where(User.username == "newcomer"))
    db.session.commit()

    monkeypatch.setattr(fake_sql, "insert_follows", insert_follows)
    result = runner.invoke(args=[*BULK, "--resume"])
    assert result.exit_code == 0, result.output
    users, follows, posts = _counts(db)
    assert (users, posts) == (300, 5000)
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(followers.c.follower_id)))) == 300
    assert 17 * 300 <= follows <= 23 * 300
    assert 20 * 300 <= db.session.scalar(sa.select(sa.func.count()).select_from(Like)) <= 30 * 300
    assert _schema_names(db) == schema
    assert _autovacuum_off(db) == []
    assert _keys_not_valid(db) == []
    _assert_stored_counts_right(db)

    _assert_search_index_whole(db, 5000)

    # Resuming a finished run changes nothing: the same replies, nobody told twice.
    replies = db.session.execute(sa.select(Post.id, Post.in_reply_to_id).order_by(Post.id)).all()
    told = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    assert told
    assert runner.invoke(args=[*BULK, "--resume"]).exit_code == 0
    assert _counts(db) == (users, follows, posts)
    assert db.session.execute(sa.select(Post.id, Post.in_reply_to_id).order_by(Post.id)).all() == (
        replies
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == told
    _assert_search_index_whole(db, 5000)


def test_an_interruption_while_posting_keeps_whole_chunks(runner, db, monkeypatch):
    monkeypatch.setattr(fake, "POST_CHUNK", 1000)
    insert_posts = _interrupt_third_call(monkeypatch, "insert_posts")
    result = runner.invoke(args=BULK)
    assert result.exit_code == 1
    assert "run the same command with --resume" in result.output
    # Whole chunks of posts, each with its search words and tags; nobody follows anyone yet.
    # (On PostgreSQL two connections write chunks: the other may have finished a fourth.)
    users, follows, posts = _counts(db)
    assert (users, follows) == (300, 0)
    assert posts in ((2000, 3000) if db.engine.dialect.name == "postgresql" else (2000,))
    _assert_search_index_whole(db, posts)
    _assert_stored_counts_right(db)

    monkeypatch.setattr(fake_sql, "insert_posts", insert_posts)
    result = runner.invoke(args=[*BULK, "--resume"])
    assert result.exit_code == 0, result.output
    assert _counts(db)[::2] == (300, 5000)
    _assert_search_index_whole(db, 5000)
    _assert_stored_counts_right(db)


def test_posts_written_on_two_connections_resume_a_chunk_missing_anywhere(runner, db, monkeypatch):
    """PostgreSQL writes chunks of posts on two connections at once, so an interrupt may
    leave a gap; --resume fills it, and every reply names the author it answers, also when
    that post was written after the reply (its author is drawn from its number)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes the chunks of posts in order, on one connection")
    monkeypatch.setattr(fake, "POST_CHUNK", 1000)
    monkeypatch.setattr(fake, "POST_PARTS", 2)
    original, fourth_written = fake_sql.insert_posts, threading.Event()

    def third_fails_once_fourth_is_written(connection, low, *args):
        if low == 3001:
            original(connection, low, *args)
            fourth_written.set()  # its thread commits it once this returns
        elif low >= 2001:
            assert fourth_written.wait(timeout=60)
            raise KeyboardInterrupt
        else:
            original(connection, low, *args)

    monkeypatch.setattr(fake_sql, "insert_posts", third_fails_once_fourth_is_written)
    result = runner.invoke(args=BULK)
    assert result.exit_code == 1
    assert "run the same command with --resume" in result.output
    ids = db.session.scalars(sa.select(Post.id).order_by(Post.id)).all()
    assert ids == [*range(1, 2001), *range(3001, 4001)]
    _assert_search_index_whole(db, 3000)
    columns = (Post.id, Post.user_id, Post.body, Post.in_reply_to_id, Post.in_reply_to_user_id)
    written = db.session.execute(sa.select(*columns).order_by(Post.id)).all()

    monkeypatch.setattr(fake_sql, "insert_posts", original)
    result = runner.invoke(args=[*BULK, "--resume"])
    assert result.exit_code == 0, result.output
    assert _counts(db)[::2] == (300, 5000)
    _assert_search_index_whole(db, 5000)
    _assert_stored_counts_right(db)
    posts = {row.id: row for row in db.session.execute(sa.select(*columns))}
    assert [posts[row.id] for row in written] == written  # the chunks written stay
    replies = [post for post in posts.values() if post.in_reply_to_id is not None]
    assert any(3000 < r.id <= 4000 and 2000 < r.in_reply_to_id <= 3000 for r in replies)
    assert all(r.in_reply_to_user_id == posts[r.in_reply_to_id].user_id for r in replies)
    newest = db.session.scalar(sa.select(sa.func.max(Post.id)))
    db.session.add(Post(body="after the resumed load", user_id=posts[1].user_id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.max(Post.id))) == newest + 1


def test_fake_indexes_every_post_for_search_as_a_rebuild_would(runner, db, make_user):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        made = snapshot(connection)
    assert len(made["words"]) == 900
    assert {name for _, name in made["tags"]} <= set(fake.TOPICS)
    word, tag, phrase = sample_queries(made)
    for query in (word, tag, phrase):
        assert searched(query) == expected(query) != []
    assert_recent_is_every_post(db)
    with db.engine.begin() as connection:
        rebuild_index(connection)
        assert snapshot(connection) == made
    assert_recent_is_every_post(db)

    # The app keeps it from then on (FTS5's triggers are back on SQLite).
    db.session.add(Post(body=f"{word} and {tag} once more", author=make_user("newcomer")))
    db.session.commit()
    newest = db.session.scalar(sa.select(sa.func.max(Post.id)))
    assert searched(word)[0] == searched(tag)[0] == newest
    assert_recent_is_every_post(db)


def assert_recent_is_every_post(db) -> None:
    """On PostgreSQL ``post_search_recent`` holds every post's words (there are far fewer than
    RECENT_POSTS here), filled after the load and kept by its triggers; empty on SQLite."""
    rows = {}
    for table in (PostSearch, PostSearchRecent):
        terms = sa.cast(table.terms, sa.Text)
        rows[table] = dict(db.session.execute(sa.select(table.post_id, terms)).all())
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        assert rows[PostSearchRecent] == rows[PostSearch]
    else:
        assert rows[PostSearchRecent] == {}


def test_fake_makes_conversations_like_real_ones(runner, db):
    result = runner.invoke(args=["fake", "--users", "80", "--posts", "6000", "--follows", "8"])
    assert result.exit_code == 0, result.output
    posts = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Post.id,
                Post.user_id,
                Post.timestamp,
                Post.in_reply_to_id,
                Post.in_reply_to_user_id,
                Post.thread_path,
            )
        )
    }
    replies = [post for post in posts.values() if post.in_reply_to_id is not None]
    assert 0.1 * len(posts) < len(replies) < 0.3 * len(posts)
    # Each reply is newer than what it answers, names its author, and extends its path.
    for reply in replies:
        parent = posts[reply.in_reply_to_id]
        assert parent.timestamp < reply.timestamp
        assert reply.in_reply_to_user_id == parent.user_id
        parent_path = parent.thread_path or parent.id.to_bytes(4, "big")
        assert reply.thread_path == parent_path + reply.id.to_bytes(4, "big")
    answered = {}
    for reply in replies:
        answered[reply.in_reply_to_id] = answered.get(reply.in_reply_to_id, 0) + 1
    # Most posts get no reply; a few get hundreds; some exchanges go 20 deep.
    assert len(answered) < 0.15 * len(posts)
    assert max(answered.values()) >= 100
    assert max(len(reply.thread_path) // 4 for reply in replies) > 20


def test_fake_makes_likes_a_few_posts_get_most_of(runner, db):
    result = runner.invoke(args=[*ARGS, "--likes", "20"])
    assert result.exit_code == 0, result.output
    likes = db.session.execute(sa.select(Like.user_id, Like.post_id, Like.created_at)).all()
    # 60 users drew 20 each; a post drawn twice by the same person is one like (many, among
    # the four hot posts of 900).
    assert 0.5 * 60 * 20 < len(likes) <= 60 * 20
    assert f", {len(likes)} likes and" in result.output
    per_post = db.session.scalars(
        sa.select(sa.func.count()).select_from(Like).group_by(Like.post_id)
    ).all()
    # Zipf: the most liked post gets far more than a typical liked one; many get none.
    assert max(per_post) >= 10 * statistics.median(per_post)
    assert len(per_post) < 0.6 * 900
    _assert_stored_counts_right(db)  # the like counts too, counted once after the load
    # Each like came after its post and its liker existed, and not in the future.
    posted = dict(db.session.execute(sa.select(Post.id, Post.timestamp)).all())
    joined = dict(db.session.execute(sa.select(User.id, User.created_at)).all())
    slack = timedelta(milliseconds=1)  # SQLite's times for fake rows are to the millisecond
    assert all(
        max(posted[post], joined[user]) - slack <= when <= utcnow() for user, post, when in likes
    )


def test_likes_date_themselves_by_the_posts_clock_which_is_the_posts_own(runner, db, monkeypatch):
    """On PostgreSQL the likes take their post's time from its number (``posted_at``), not
    from the post: that formula must give every post's stored time; and every liker gets
    likes (they are drawn a range of likers at a time)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's likes read their post's time")
    now = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    monkeypatch.setattr(fake, "utcnow", lambda: now)
    result = runner.invoke(args=[*ARGS, "--likes", "20", "--seed", "7"])
    assert result.exit_code == 0, result.output
    community = fake.FakeCommunity(60, 900, 8, 7)
    posted = fake_sql.posted_at("id", 7)
    differing = db.session.scalar(
        sa.text(f"SELECT count(*) FROM post WHERE timestamp <> to_timestamp({posted})"),  # noqa: S608
        {"start": (now - fake.HISTORY).timestamp(), "step": community._post_step()},
    )
    assert differing == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 900
    likers = db.session.scalar(sa.select(sa.func.count(sa.distinct(Like.user_id))))
    assert likers >= 55  # of 60, drawing 20 each


def test_fake_tells_people_of_replies_and_recent_follows(runner, db, client):
    result = runner.invoke(args=["fake", "--users", "80", "--posts", "6000", "--follows", "8"])
    assert result.exit_code == 0, result.output
    notifications = db.session.scalars(sa.select(Notification)).all()
    replies = db.session.execute(
        sa.select(Post.id, Post.user_id, Post.in_reply_to_user_id).where(
            Post.in_reply_to_user_id.is_not(None), Post.in_reply_to_user_id != Post.user_id
        )
    ).all()
    told = {(n.post_id, n.actor_id, n.user_id) for n in notifications if n.kind == REPLY}
    assert told == {tuple(row) for row in replies}
    recent = utcnow() - timedelta(days=FOLLOW_DAYS)
    follows = db.session.execute(
        sa.select(followers.c.follower_id, followers.c.followed_id).where(
            followers.c.created_at >= recent
        )
    ).all()
    assert follows
    followed = {(n.actor_id, n.user_id) for n in notifications if n.kind == FOLLOW}
    assert followed == {tuple(row) for row in follows}
    assert all(
        n.group_key == f"follow:{n.created_at:%Y-%m-%d}" for n in notifications if n.kind == FOLLOW
    )
    liked = db.session.execute(
        sa.select(Like.user_id, Post.user_id, Like.post_id)
        .join(Post, Post.id == Like.post_id)
        .where(Like.created_at >= recent, Like.user_id != Post.user_id)
    ).all()
    assert liked
    told_likes = {(n.actor_id, n.user_id, n.post_id) for n in notifications if n.kind == LIKE}
    assert told_likes == {tuple(row) for row in liked}
    assert all(
        n.group_key == f"like:{n.post_id}:{n.created_at:%Y-%m-%d}"
        for n in notifications
        if n.kind == LIKE
    )
    # Someone answered sees it among their replies and mentions, unread.
    someone = db.session.get(User, replies[-1].in_reply_to_user_id)
    browser = FormClient(client.application.test_client())
    browser.submit("/auth/login", {"username": someone.username, "password": DEFAULT_PASSWORD})
    page = browser.get("/notifications/mentions").get_data(as_text=True)
    assert 'class="notification notification-reply notification-unread"' in page


def _assert_search_index_whole(db, posts: int) -> None:
    """Every post is in the search index, as a rebuild from scratch would make it."""
    with db.engine.begin() as connection:
        fts5_is_consistent(connection)
        made = snapshot(connection)
        assert len(made["words"]) == posts
        assert rebuild_index(connection) == posts
        assert snapshot(connection) == made


def _assert_stored_counts_right(db) -> None:
    """The stored counts are every account's, counted from scratch, and kept from now on."""
    connection = db.session.connection()
    assert present_triggers(connection) == trigger_names(connection.dialect.name)
    from_scratch = connection.exec_driver_sql(RECOUNT[RECOUNT.index("SELECT") :]).all()
    stored = db.session.execute(sa.select(user_stats)).all()
    assert sorted(map(tuple, stored)) == sorted(map(tuple, from_scratch))
    # Each liked or answered post's likes and replies likewise (post_stats).
    expected: dict[int, list[int]] = {}
    likes = connection.exec_driver_sql(RECOUNT_LIKES[RECOUNT_LIKES.index("SELECT") :])
    for post_id, count in likes:
        expected.setdefault(post_id, [0, 0])[0] = count
    start, end = RECOUNT_REPLIES.index("SELECT"), RECOUNT_REPLIES.index("ON CONFLICT")
    for post_id, _, count in connection.exec_driver_sql(RECOUNT_REPLIES[start:end]):
        expected.setdefault(post_id, [0, 0])[1] = count
    stored = db.session.execute(sa.select(post_stats)).all()
    assert {post_id: [likes, replies] for post_id, likes, replies in stored} == expected


def _assert_home_feeds_built(db) -> None:
    """The load set the feeds aside and left them to be built on each reader's first visit:
    no feed yet, their triggers and the merged accounts are back, and home pages, read from
    the posts until then and from the feed after, are the plain query's."""
    connection = db.session.connection()
    assert _present_feed_triggers(connection) == feed_trigger_names(connection.dialect.name)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed_horizon)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed_author)) > 0
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    some = users[:: len(users) // 12]
    assert_every_home_matches(db, some, 25)
    db.session.commit()
    for user in some:
        assert build_home_feed(db.session.connection(), user.id)
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed)) > 0
    assert_every_home_matches(db, some, 25)
