"""The migration after which a merged account's rows leave the feeds when it is merged."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import feed
from tests.platform.test_migration_counts import _fill
from tests.platform.test_migration_feed import _pages_match_the_plain_query, load_migration

REVISION = "e7a2c4f9b1d6"
BEFORE = "d5f8a1c3e7b9"
# In _fill each user follows everyone with a smaller id; users 1-3 post (post n by 1 + n % 3).
MERGED_BEFORE = 2  # merged as a rebuild would list it, with its rows in feeds: users 3-5's
PROMOTED = 3  # crosses the limit by its stored count, then posts: users 4 and 5 follow it


def _run(sql: str, **values) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.text(sql), values)
    db.session.expire_all()


def _rows_by(author: int) -> set[tuple[int, int]]:
    """(reader, post) of the feed rows by ``author``."""
    with db.engine.connect() as connection:
        query = "SELECT user_id, post_id FROM home_feed WHERE author_id = :author"
        return {tuple(row) for row in connection.execute(sa.text(query), {"author": author})}


def _readers_of(author: int) -> set[int]:
    return {reader for reader, _post in _rows_by(author)}


def _promote(author: int, post_id: int, day: int) -> None:
    """Past the fan-out limit by its stored count, then a post on 2030-01-``day``: its
    promotion."""
    over = feed.HOME_FEED_FANOUT_LIMIT + 1
    _run("UPDATE user_stats SET followers = :n WHERE user_id = :author", n=over, author=author)
    _post(post_id, author, day)


def _post(post_id: int, author: int, day: int) -> None:
    _run(
        "INSERT INTO post (id, body, timestamp, user_id) VALUES (:id, 'post', :at, :author)",
        id=post_id,
        at=datetime(2030, 1, day, tzinfo=UTC),
        author=author,
    )


def test_upgrade_takes_merged_rows_out_and_a_promotion_does_too(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    _run(
        'INSERT INTO home_feed_author (user_id, "timestamp") SELECT :author, max("timestamp") '
        "FROM post WHERE user_id = :author",
        author=MERGED_BEFORE,
    )
    assert _readers_of(MERGED_BEFORE) == {2, 3, 4, 5}  # its own feed and its followers'
    _promote(PROMOTED, 100, 1)
    assert _readers_of(PROMOTED) == {3, 4, 5}  # the old triggers leave its rows

    upgrade(revision=REVISION)
    assert _readers_of(MERGED_BEFORE) == {2}
    assert _readers_of(PROMOTED) == {3}
    _pages_match_the_plain_query()
    _promote(1, 101, 2)  # users 2-5 follow it
    assert _readers_of(1) == {1}
    assert (1, 101) in _rows_by(1)  # the promoting post in its author's own feed
    _post(102, 1, 3)
    assert _readers_of(1) == {1}
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    _post(103, 4, 4)  # user 5 follows user 4
    _promote(4, 104, 5)
    assert _readers_of(4) == {4, 5}  # the old triggers again: its row stays in 5's feed
    upgrade(revision=REVISION)
    assert _readers_of(4) == {4}
    _pages_match_the_plain_query()


def test_migration_copies_the_models_sql():
    # The models' SQL as it was then: a later migration merges an account at the follow that
    # takes it past the limit (tests/platform/test_migration_feed_follow_promotion.py).
    from tests.platform.test_migration_feed_follow_promotion import as_before as as_then

    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    sqlite = as_then(feed.sqlite_triggers(*settings))
    assert {name: sqlite[name] for name in migration.SQLITE_TRIGGERS} == migration.SQLITE_TRIGGERS
    postgresql = as_then(feed.postgresql_functions(*settings))
    assert {
        name: postgresql[name] for name in migration.POSTGRESQL_FUNCTIONS
    } == migration.POSTGRESQL_FUNCTIONS
    # The downgrade puts back what the migrations before made.
    fanout, first = load_migration("9d3f6b2a7c15"), load_migration("a3c9e51f7d20")
    assert {
        name: fanout.SQLITE_TRIGGERS[name] for name in migration.SQLITE_TRIGGERS
    } == migration.SQLITE_TRIGGERS_BEFORE
    assert {
        "home_feed_on_post": fanout.POSTGRESQL_FUNCTIONS["home_feed_on_post"],
        "home_feed_on_follow": first.POSTGRESQL_FUNCTIONS["home_feed_on_follow"],
    } == migration.POSTGRESQL_FUNCTIONS_BEFORE


def as_before(statements: dict[str, str]) -> dict[str, str]:
    """The models' trigger SQL (``feed.sqlite_triggers`` or ``feed.postgresql_functions``, with
    the default settings) as it was before this migration: for the earlier migrations' tests."""
    from tests.platform.test_migration_feed_follow_promotion import as_before as as_then

    statements = as_then(statements)
    migration = load_migration(REVISION)
    now = {**migration.SQLITE_TRIGGERS, **migration.POSTGRESQL_FUNCTIONS}
    before = {**migration.SQLITE_TRIGGERS_BEFORE, **migration.POSTGRESQL_FUNCTIONS_BEFORE}
    return {name: before[name] if now.get(name) == sql else sql for name, sql in statements.items()}
