"""The migration that keeps every merged account's post in home_feed_merged, for home pages
to walk."""

from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import feed
from tests.platform.test_migration_counts import WHEN, _fill
from tests.platform.test_migration_feed import _pages_match_the_plain_query, load_migration

REVISION = "f2b7c4d9e1a3"
BEFORE = "7c2e9a4d1b58"  # the revision before the merged accounts' posts table
LOWERED = "e4c1b8f2a6d9"  # the last one before it that wrote the feed's triggers
MERGED = 2  # posts 1, 4, 7 and 10 in _fill (post n at WHEN + n seconds, 4 hidden)


def _merged_posts() -> list[tuple]:
    """(post id, author, answered author) of each row of home_feed_merged, newest first."""
    table = sa.Table("home_feed_merged", sa.MetaData(), autoload_with=db.engine)
    query = sa.select(table.c.post_id, table.c.author_id, table.c.in_reply_to_user_id).order_by(
        table.c.timestamp.desc(), table.c.post_id.desc()
    )
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def _run(sql: str) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(sql)
    db.session.expire_all()


def _has_table() -> bool:
    with db.engine.connect() as connection:
        return sa.inspect(connection).has_table("home_feed_merged")


def test_upgrade_fills_the_table_and_the_triggers_keep_it(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    # Merged as a rebuild merges an account over the limit.
    with db.engine.begin() as connection:
        connection.execute(
            sa.insert(feed.home_feed_author).values(
                user_id=MERGED, timestamp=WHEN + timedelta(seconds=10)
            )
        )
    upgrade(revision=REVISION)
    assert _merged_posts() == [(10, 2, None), (7, 2, None), (4, 2, None), (1, 2, None)]
    _pages_match_the_plain_query()
    _run(
        "INSERT INTO post (id, body, timestamp, user_id, in_reply_to_id, in_reply_to_user_id) "
        "VALUES (100, 're', '2030-01-01', 2, 3, 1)"
    )
    _run("INSERT INTO post (id, body, timestamp, user_id) VALUES (101, 'new', '2030-01-02', 3)")
    _run("DELETE FROM post WHERE id = 7")
    _run("UPDATE post SET timestamp = '2031-01-01' WHERE id = 1")
    assert _merged_posts() == [(1, 2, None), (100, 2, 1), (10, 2, None), (4, 2, None)]
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    assert not _has_table()
    _run("INSERT INTO post (id, body, timestamp, user_id) VALUES (102, 'new', '2032-01-01', 2)")
    _run("DELETE FROM post WHERE id = 10")  # the old triggers again: no table to write to
    upgrade(revision=REVISION)
    assert _merged_posts() == [(102, 2, None), (1, 2, None), (100, 2, 1), (4, 2, None)]
    _pages_match_the_plain_query()


def test_migration_copies_the_models_sql():
    # The models' SQL as it was then: a later migration fans out only into feeds that exist
    # (tests/platform/test_migration_feed_fanout.py).
    from tests.platform.test_migration_feed_fanout import as_before as as_then

    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    sqlite = as_then(feed.sqlite_triggers(*settings))
    assert {name: sqlite[name] for name in migration.SQLITE_TRIGGERS} == migration.SQLITE_TRIGGERS
    postgresql = as_then(feed.postgresql_functions(*settings))
    assert {
        name: postgresql[name] for name in migration.POSTGRESQL_FUNCTIONS
    } == migration.POSTGRESQL_FUNCTIONS
    from tests.platform.test_migration_feed_replies import MERGED_POSTS_BEFORE

    assert migration.MERGED_POSTS == MERGED_POSTS_BEFORE
    # The downgrade puts back what the migrations before made.
    newest, lowered = load_migration("b5e8d2a41c07"), load_migration(LOWERED)
    assert {
        "tr_home_feed_post_insert": newest.SQLITE_TRIGGERS["tr_home_feed_post_insert"],
        **lowered.SQLITE_TRIGGERS,
    } == migration.SQLITE_TRIGGERS_BEFORE
    assert migration.POSTGRESQL_FUNCTIONS_BEFORE == lowered.POSTGRESQL_FUNCTIONS


def as_before(statements: dict[str, str]) -> dict[str, str]:
    """The models' trigger SQL (``feed.sqlite_triggers`` or ``feed.postgresql_functions``, with
    the default settings) as it was before this migration: for the earlier migrations' tests."""
    from tests.platform.test_migration_feed_fanout import as_before as as_then

    statements = as_then(statements)
    migration = load_migration(REVISION)
    now = {**migration.SQLITE_TRIGGERS, **migration.POSTGRESQL_FUNCTIONS}
    before = {**migration.SQLITE_TRIGGERS_BEFORE, **migration.POSTGRESQL_FUNCTIONS_BEFORE}
    return {name: before[name] if now.get(name) == sql else sql for name, sql in statements.items()}
