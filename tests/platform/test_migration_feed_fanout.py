"""The migration after which a post fans out only into feeds that exist, and locks its
author's counts row first on PostgreSQL."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import feed
from tests.platform.test_migration_counts import _fill
from tests.platform.test_migration_feed import _pages_match_the_plain_query, load_migration

REVISION = "9d3f6b2a7c15"
BEFORE = "f2b7c4d9e1a3"
FEEDLESS = 5  # follows users 1-4 in _fill; its feed is taken away below
WITH_FEED = 4  # follows users 1-3


def _run(sql: str) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(sql)
    db.session.expire_all()


def _feed_posts(reader: int) -> set[int]:
    with db.engine.connect() as connection:
        query = "SELECT post_id FROM home_feed WHERE user_id = :reader"
        return set(connection.execute(sa.text(query), {"reader": reader}).scalars())


def test_upgrade_stops_rows_for_readers_without_a_feed_and_deletes_theirs(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    # A reader without a feed, as flask fake leaves everyone until their first visit.
    _run("DELETE FROM home_feed_horizon WHERE user_id = 5")
    _run("DELETE FROM home_feed WHERE user_id = 5")
    _run("INSERT INTO post (id, body, timestamp, user_id) VALUES (100, 'a', '2030-01-01', 2)")
    assert _feed_posts(FEEDLESS) == {100}  # the old triggers: rows whoever reads

    upgrade(revision=REVISION)
    assert _feed_posts(FEEDLESS) == set()
    _run("INSERT INTO post (id, body, timestamp, user_id) VALUES (101, 'b', '2030-01-02', 3)")
    _run("UPDATE post SET timestamp = '2030-01-03' WHERE id = 1")  # a move fans out again
    assert _feed_posts(FEEDLESS) == set()
    assert {100, 101, 1} <= _feed_posts(WITH_FEED)
    assert {100, 101} <= _feed_posts(3)  # the author's own feed, and a follower's
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    _run("INSERT INTO post (id, body, timestamp, user_id) VALUES (102, 'c', '2030-01-04', 2)")
    assert _feed_posts(FEEDLESS) == {102}  # the old triggers again
    upgrade(revision=REVISION)
    assert _feed_posts(FEEDLESS) == set()
    _pages_match_the_plain_query()


def test_migration_copies_the_models_sql():
    # The models' SQL as it was then: a later migration takes a merged account's rows out of
    # the feeds (tests/platform/test_migration_feed_promotion.py).
    from tests.platform.test_migration_feed_promotion import as_before as as_then

    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    sqlite = as_then(feed.sqlite_triggers(*settings))
    assert {name: sqlite[name] for name in migration.SQLITE_TRIGGERS} == migration.SQLITE_TRIGGERS
    postgresql = as_then(feed.postgresql_functions(*settings))
    assert {
        name: postgresql[name] for name in migration.POSTGRESQL_FUNCTIONS
    } == migration.POSTGRESQL_FUNCTIONS
    # The downgrade puts back what the migration before made.
    merged = load_migration(BEFORE)
    assert {
        name: merged.SQLITE_TRIGGERS[name] for name in migration.SQLITE_TRIGGERS
    } == migration.SQLITE_TRIGGERS_BEFORE
    assert migration.POSTGRESQL_FUNCTIONS_BEFORE == merged.POSTGRESQL_FUNCTIONS


def as_before(statements: dict[str, str]) -> dict[str, str]:
    """The models' trigger SQL (``feed.sqlite_triggers`` or ``feed.postgresql_functions``, with
    the default settings) as it was before this migration: for the earlier migrations' tests."""
    from tests.platform.test_migration_feed_promotion import as_before as as_then

    statements = as_then(statements)
    migration = load_migration(REVISION)
    now = {**migration.SQLITE_TRIGGERS, **migration.POSTGRESQL_FUNCTIONS}
    before = {**migration.SQLITE_TRIGGERS_BEFORE, **migration.POSTGRESQL_FUNCTIONS_BEFORE}
    return {name: before[name] if now.get(name) == sql else sql for name, sql in statements.items()}


def test_the_post_trigger_is_never_jit_compiled(db):
    """Where one account has most follows, PostgreSQL expected thousands of followers per
    account and compiled a post's fan-out (85 ms of a 90 ms post): the function turns JIT
    off for its statements."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's JIT")
    settings = db.session.scalar(
        sa.text("SELECT proconfig FROM pg_proc WHERE proname = 'home_feed_on_post'")
    )
    assert settings == ["jit=off"]
