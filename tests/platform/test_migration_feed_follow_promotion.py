"""The migration after which an account is merged at the follow that takes it past the
fan-out limit, not at its next post."""

from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import feed
from tests.platform.test_migration_counts import WHEN, _fill
from tests.platform.test_migration_feed import (
    _pages_match_the_plain_query,
    load_migration,
    sql_before,
    written_before,
)
from tests.platform.test_migration_feed_promotion import _post, _readers_of, _run

REVISION = "c4f1a8e2d7b3"
BEFORE = "b7e1d4a9c2f5"
NEW_NAMES = {"tr_home_feed_promotion", "home_feed_on_followers"}
"""The trigger (and PostgreSQL's function) this migration adds: for the earlier ones' tests."""
LIMIT = feed.HOME_FEED_FANOUT_LIMIT
# In _fill each user follows everyone with a smaller id (user n has 5 - n followers); users
# 1-3 post.


def _merged() -> set[int]:
    with db.engine.connect() as connection:
        return set(connection.exec_driver_sql("SELECT user_id FROM home_feed_author").scalars())


def _followers(user: int, count: int) -> None:
    """Set ``user``'s stored followers count, as if that many followed them."""
    _run("UPDATE user_stats SET followers = :n WHERE user_id = :user", n=count, user=user)


def test_upgrade_merges_accounts_past_the_limit_and_a_follow_merges_one(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    _followers(3, LIMIT + 1)  # past the limit, no post since: the old triggers wait for one
    assert 3 not in _merged()
    assert _readers_of(3) == {3, 4, 5}

    upgrade(revision=REVISION)
    assert 3 in _merged()
    assert _readers_of(3) == {3}  # its own feed keeps its rows
    _pages_match_the_plain_query()

    _followers(2, LIMIT)  # at the limit: not merged yet
    assert 2 not in _merged()
    _run("INSERT INTO followers (follower_id, followed_id, created_at) VALUES (1, 2, :at)", at=WHEN)
    assert 2 in _merged()  # the follow past the limit merged it
    assert _readers_of(2) == {2}
    _post(100, 2, 1)
    assert _readers_of(2) == {2}
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    _followers(4, LIMIT + 1)
    assert 4 not in _merged()  # the old triggers again: merged at its next post
    _post(101, 4, 2)
    assert 4 in _merged()
    upgrade(revision=REVISION)
    _pages_match_the_plain_query()


def test_migration_copies_the_models_sql():
    # The models' SQL as it was then: a later migration fans out the merged accounts' replies
    # (tests/platform/test_migration_feed_replies.py).
    from tests.platform.test_migration_feed_replies import as_before as as_then

    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    sqlite = as_then(feed.sqlite_triggers(*settings))
    assert {name: sqlite[name] for name in migration.SQLITE_TRIGGERS} == migration.SQLITE_TRIGGERS
    postgresql = as_then(feed.postgresql_functions(*settings))
    assert {
        name: postgresql[name] for name in migration.POSTGRESQL_FUNCTIONS
    } == migration.POSTGRESQL_FUNCTIONS
    trigger = feed.POSTGRESQL_TRIGGERS["tr_home_feed_promotion"]
    assert f"CREATE TRIGGER tr_home_feed_promotion {trigger}" == migration.PROMOTION_TRIGGER
    assert f"followers > {LIMIT} " in migration.PAST_THE_LIMIT
    # The downgrade puts back what the migrations before wrote last.
    for attribute in ("SQLITE_TRIGGERS", "POSTGRESQL_FUNCTIONS"):
        before = getattr(migration, f"{attribute}_BEFORE")
        assert before == {name: written_before(REVISION, attribute, name) for name in before}
        assert set(getattr(migration, attribute)) - set(before) <= NEW_NAMES


def as_before(statements: dict[str, str]) -> dict[str, str]:
    """The models' trigger SQL as it was before this migration: for the earlier ones' tests."""
    from tests.platform.test_migration_feed_replies import as_before as as_then

    return sql_before(REVISION, as_then(statements), NEW_NAMES)
