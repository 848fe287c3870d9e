"""The migration that lets the triggers lower a merged account's newest post time when that
post is deleted."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import feed
from tests.platform.test_migration_counts import WHEN, _fill
from tests.platform.test_migration_feed import _pages_match_the_plain_query, load_migration

REVISION = "e4c1b8f2a6d9"
BEFORE = "c8d4f2a7e9b1"
MERGED = 2  # posts 1, 4, 7 and 10 in _fill (post n at WHEN + n seconds); users 3-5 follow it


def _newest() -> datetime | None:
    with db.engine.connect() as connection:
        query = sa.select(feed.home_feed_author.c.timestamp).where(
            feed.home_feed_author.c.user_id == MERGED
        )
        return connection.execute(query).scalar_one()


def _seconds() -> int | None:
    """The stored newest time, in seconds after _fill's start (None if unknown)."""
    newest = _newest()
    return None if newest is None else round((newest - WHEN).total_seconds())


def _run(sql: str) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(sql)
    db.session.expire_all()


def test_upgrade_lowers_stale_times_and_the_triggers_keep_them_down(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    # Merged as a rebuild merges an account over the limit: with its newest post's time.
    with db.engine.begin() as connection:
        connection.execute(
            sa.insert(feed.home_feed_author).values(
                user_id=MERGED, timestamp=WHEN + timedelta(seconds=10)
            )
        )
    _run("DELETE FROM post WHERE id = 10")
    assert _seconds() == 10  # the old triggers leave the deleted post's time
    upgrade(revision=REVISION)
    assert _seconds() == 7
    _pages_match_the_plain_query()
    _run("DELETE FROM post WHERE id = 7")
    assert _seconds() == 4
    _run("DELETE FROM post WHERE id = 1")  # not the newest: nothing moves
    assert _seconds() == 4
    _run("UPDATE post SET timestamp = (SELECT timestamp FROM post WHERE id = 2) WHERE id = 4")
    assert _seconds() == 2  # moved back in time: the same as leaving
    _pages_match_the_plain_query()
    _run("DELETE FROM post WHERE id = 4")
    assert _seconds() is None  # no post left
    _run("INSERT INTO post (id, body, timestamp, user_id) VALUES (100, 'new', '2030-01-01', 2)")
    assert _newest().year == 2030
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    _run("DELETE FROM post WHERE id = 100")
    assert _newest().year == 2030  # the old triggers again
    upgrade(revision=REVISION)
    assert _seconds() is None
    _pages_match_the_plain_query()


def test_migration_copies_the_models_sql():
    # The models' SQL as it was then: a later migration keeps home_feed_merged
    # (tests/platform/test_migration_feed_merged.py).
    from tests.platform.test_migration_feed_merged import as_before as as_then

    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    sqlite = as_then(feed.sqlite_triggers(*settings))
    assert {name: sqlite[name] for name in migration.SQLITE_TRIGGERS} == migration.SQLITE_TRIGGERS
    postgresql = as_then(feed.postgresql_functions(*settings))
    assert {
        name: postgresql[name] for name in migration.POSTGRESQL_FUNCTIONS
    } == migration.POSTGRESQL_FUNCTIONS
    # The downgrade puts back what the migrations before made.
    first, newest = load_migration("a3c9e51f7d20"), load_migration("b5e8d2a41c07")
    assert {
        "tr_home_feed_post_update": newest.SQLITE_TRIGGERS["tr_home_feed_post_update"],
        "tr_home_feed_post_delete": first.SQLITE_TRIGGERS["tr_home_feed_post_delete"],
    } == migration.SQLITE_TRIGGERS_BEFORE
    assert migration.POSTGRESQL_FUNCTIONS_BEFORE == newest.POSTGRESQL_FUNCTIONS


def as_before(statements: dict[str, str]) -> dict[str, str]:
    """The models' trigger SQL (``feed.sqlite_triggers`` or ``feed.postgresql_functions``, with
    the default settings) as it was before this migration: for the earlier migrations' tests."""
    from tests.platform.test_migration_feed_merged import as_before as as_then

    statements = as_then(statements)
    migration = load_migration(REVISION)
    now = {**migration.SQLITE_TRIGGERS, **migration.POSTGRESQL_FUNCTIONS}
    before = {**migration.SQLITE_TRIGGERS_BEFORE, **migration.POSTGRESQL_FUNCTIONS_BEFORE}
    return {name: before[name] if now.get(name) == sql else sql for name, sql in statements.items()}
