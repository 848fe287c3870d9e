"""The migration that lets the triggers set a merged account's unknown newest post time."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import feed
from tests.platform.test_migration_counts import _fill
from tests.platform.test_migration_feed import _pages_match_the_plain_query, load_migration
from tests.platform.test_migration_feed_lowered import as_before

REVISION = "b5e8d2a41c07"
BEFORE = "a3c9e51f7d20"
SILENT = 4  # posts nothing in _fill; user 5 follows it


def _newest() -> object:
    with db.engine.connect() as connection:
        query = sa.select(feed.home_feed_author.c.timestamp).where(
            feed.home_feed_author.c.user_id == SILENT
        )
        return connection.execute(query).scalar_one()


def _post(post_id: int, when: str) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO post (id, body, timestamp, user_id) "  # noqa: S608  (the test's own values)
            f"VALUES ({post_id}, 'new', '{when}', {SILENT})"
        )
    db.session.expire_all()


def test_upgrade_sets_unknown_times_and_downgrade_puts_the_triggers_back(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    # As a rebuild merges an account over the limit that has not posted: no newest time.
    with db.engine.begin() as connection:
        connection.execute(sa.insert(feed.home_feed_author).values(user_id=SILENT, timestamp=None))
    _post(100, "2030-01-01")
    assert _newest() is None  # the old triggers leave it unknown: its posts were lost
    upgrade(revision=REVISION)
    assert _newest().year == 2030
    _pages_match_the_plain_query()
    _post(101, "2031-01-01")
    assert _newest().year == 2031
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        connection.execute(sa.update(feed.home_feed_author).values(timestamp=None))
    _post(102, "2032-01-01")
    assert _newest() is None
    upgrade(revision=REVISION)
    assert _newest().year == 2032
    _pages_match_the_plain_query()


def test_migration_copies_the_models_sql():
    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    # The models' SQL as it was then: a later migration lowers the time when the newest post
    # goes (tests/platform/test_migration_feed_lowered.py).
    changed = {
        name: sql
        for name, sql in as_before(feed.sqlite_triggers(*settings)).items()
        if migration.NEWEST in sql
    }
    assert changed == migration.SQLITE_TRIGGERS
    changed = {
        name: sql
        for name, sql in as_before(feed.postgresql_functions(*settings)).items()
        if migration.NEWEST in sql
    }
    assert changed == migration.POSTGRESQL_FUNCTIONS
