"""The migration that adds home feeds: builds them for existing rows, the triggers keep them,
and it goes away entirely."""

# The SQL put together here is the migrations' and the test's own (never input).
# ruff: noqa: S608

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.listings.keyset import keyset_page, select_pages
from app.listings.posts import POSTS_NEWEST_FIRST
from app.listings.timeline import home_timeline
from app.models import User, feed, post_stats
from tests.helpers import missing_tables_made
from tests.platform.test_migration_counts import _fill

REVISION = "a3c9e51f7d20"
BEFORE = "0583fe2d4f6e"  # the revision before home feeds
TABLES = ("home_feed", "home_feed_horizon", "home_feed_author")
# The triggers and functions that later migrations add (c4f1a8e2d7b3: an account merged at the
# follow that takes it past the limit; b9e4d2f7a1c6: the merged posts' copy of hidden_at, and
# on SQLite the replies fanned out).
LATER_NAMES = {
    "tr_home_feed_promotion",
    "home_feed_on_followers",
    "tr_home_feed_post_hide",
    "home_feed_on_hide",
    "tr_home_feed_reply_insert",
}


def _pages_match_the_plain_query() -> int:
    """Every account's first home page is the plain query's; returns how many feed rows."""
    try:
        with _later_tables() as made_replies:
            try:
                if made_replies:  # before b9e4d2f7a1c6, whose replies fanned out stay
                    # Before e7a2c4f9b1d6 merged accounts kept rows in their followers' feeds,
                    # which the pages of then skipped: gone, as that migration deletes them
                    # (in this transaction, rolled back).
                    db.session.execute(sa.text(load_migration("e7a2c4f9b1d6").MERGED_ROWS))
                    _replies_fanned_out()
                for user in db.session.scalars(sa.select(User)):
                    plain = select_pages(user.following_posts(), POSTS_NEWEST_FIRST)
                    expected = keyset_page(plain, 4)
                    page = keyset_page(home_timeline(user), 4)
                    assert [p.id for p in page.items] == [p.id for p in expected.items]
            finally:
                # Before the tables made for it go (SQLite: this holds its write lock).
                db.session.rollback()
        return db.session.scalar(sa.select(sa.func.count()).select_from(feed.home_feed))
    finally:
        # Its reads hold the tables on PostgreSQL: a migration after it would wait for them.
        db.session.rollback()


@contextmanager
def _later_tables() -> Iterator[list[str]]:
    """The tables today's pages read that later migrations add, made while the block runs at an
    older revision: the stored like counts (7c2e9a4d1b58) and reply counts (d5f8a1c3e7b9), empty,
    so both sides of a comparison read counts of 0, and the merged accounts' posts
    (f2b7c4d9e1a3) and replies (b9e4d2f7a1c6), which :func:`_replies_fanned_out` fills; yields
    the names of those two made."""
    with missing_tables_made(post_stats, feed.home_feed_merged, feed.home_feed_reply) as made:
        yield [table.name for table in made if table.name.startswith("home_feed_")]


def _replies_fanned_out() -> None:
    """In the session's transaction (rolled back), what b9e4d2f7a1c6 and today's rebuild make
    of a database at an older revision, for today's pages: the merged accounts' posts that
    pages read in home_feed_merged, made again from the posts (an account a test merged by hand
    has none there), their replies to accounts that are not merged in home_feed_reply, and
    those in the feeds (that exist, above their horizon) of the readers shown them, as a build
    would write them."""
    for table in ("home_feed_merged", "home_feed_reply"):
        db.session.execute(sa.text(f"DELETE FROM {table}"))
    db.session.execute(sa.text(feed.MERGED_POSTS))
    db.session.execute(sa.text(feed.MERGED_REPLIES))
    follows = (
        "EXISTS (SELECT 1 FROM followers f WHERE f.follower_id = h.user_id "
        "AND f.followed_id = {account})"
    )
    db.session.execute(
        sa.text(
            f"""
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, r."timestamp", r.post_id, r.author_id
FROM home_feed_horizon h JOIN home_feed_reply r
  ON h."timestamp" IS NULL OR r."timestamp" > h."timestamp"
     OR (r."timestamp" = h."timestamp" AND r.post_id >= h.post_id)
WHERE h.user_id <> r.author_id AND {follows.format(account="r.author_id")}
  AND (r.answered_id = h.user_id OR {follows.format(account="r.answered_id")})
  AND NOT EXISTS (SELECT 1 FROM home_feed e
    WHERE e.user_id = h.user_id AND e."timestamp" = r."timestamp" AND e.post_id = r.post_id)"""
        )
    )


def _functions() -> set[str]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return set()
        query = sa.text("SELECT proname FROM pg_proc WHERE proname LIKE 'home_feed%'")
        return set(connection.execute(query).scalars())


def _triggers() -> set[str]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return {n for n in connection.exec_driver_sql(query).scalars() if "home_feed" in n}


def test_upgrade_builds_feeds_and_triggers_keep_them(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    # Users 1-3 post 3, 4 and 4 posts; each user follows everyone with a smaller id.
    assert _pages_match_the_plain_query() == 3 + 7 + 11 + 11 + 11
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM followers WHERE follower_id = 5")
        connection.exec_driver_sql(
            "INSERT INTO post (id, body, timestamp, user_id) VALUES (100, 'new', '2030-01-01', 2)"
        )
        connection.exec_driver_sql('DELETE FROM "user" WHERE id = 1')
    db.session.expire_all()
    _pages_match_the_plain_query()
    assert _triggers() == feed.feed_trigger_names(db.engine.dialect.name) - LATER_NAMES


def test_downgrade_removes_tables_triggers_and_functions_and_upgrade_again(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    if db.engine.dialect.name == "postgresql":
        assert _functions() == set(feed.postgresql_functions(400, 1000)) - LATER_NAMES
    downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        for table in TABLES:
            assert not sa.inspect(connection).has_table(table)
    assert _triggers() == set()
    assert _functions() == set()
    upgrade(revision=REVISION)
    assert _pages_match_the_plain_query() > 0


def load_migration(revision: str):
    """The module of the migration ``revision``."""
    (path,) = Path(__file__).parents[2].glob(f"migrations/versions/{revision}_*.py")
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def written_before(revision: str, attribute: str, name: str) -> str:
    """The SQL of trigger or function ``name`` as the last migration before ``revision`` to
    write it (in its dict ``attribute``: ``SQLITE_TRIGGERS`` or ``POSTGRESQL_FUNCTIONS``)
    wrote it."""
    earlier = load_migration(revision).down_revision
    while True:
        migration = load_migration(earlier)
        written = getattr(migration, attribute, {})
        if name in written:
            return written[name]
        earlier = migration.down_revision


def sql_before(revision: str, statements: dict[str, str], added: set[str]) -> dict[str, str]:
    """The models' trigger SQL ``statements`` (``feed.sqlite_triggers`` or
    ``feed.postgresql_functions``, with the default settings) as it was before the migration
    ``revision``: what it wrote as what it replaced, without the triggers and functions it
    ``added``. For the earlier migrations' tests."""
    migration = load_migration(revision)
    now = {**migration.SQLITE_TRIGGERS, **migration.POSTGRESQL_FUNCTIONS}
    before = {**migration.SQLITE_TRIGGERS_BEFORE, **migration.POSTGRESQL_FUNCTIONS_BEFORE}
    return {
        name: before[name] if now.get(name) == sql else sql
        for name, sql in statements.items()
        if name not in added
    }


def test_migration_copies_the_models_sql():
    migration = load_migration(REVISION)
    # The models' SQL as it was then: a later migration changed how the triggers keep a
    # merged account's newest time (tests/platform/test_migration_feed_newest.py).
    later = load_migration("b5e8d2a41c07")

    def as_then(statements: dict[str, str]) -> dict[str, str]:
        return {k: v.replace(later.NEWEST, later.NEWEST_BEFORE) for k, v in statements.items()}

    # And a later one, how they lower it (tests/platform/test_migration_feed_lowered.py).
    from tests.platform.test_migration_feed_lowered import as_before

    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    assert as_then(as_before(feed.sqlite_triggers(*settings))) == migration.SQLITE_TRIGGERS
    assert (
        as_then(as_before(feed.postgresql_functions(*settings))) == migration.POSTGRESQL_FUNCTIONS
    )
    triggers = feed.POSTGRESQL_TRIGGERS
    assert {
        name: sql for name, sql in triggers.items() if name not in LATER_NAMES
    } == migration.POSTGRESQL_TRIGGERS
    # And a later one, the merged accounts' replies fanned out
    # (tests/platform/test_migration_feed_replies.py).
    from tests.platform.test_migration_feed_replies import rebuild_as_before

    rebuild = rebuild_as_before(feed.rebuild_statements(*settings, feed.REBUILD_WINDOW))
    assert [_small_as_then(sql) for sql in rebuild] == migration.REBUILD


# Who has a short timeline: a sum per reader then, grouped now (the same readers; the sum per
# reader made PostgreSQL hash every account's counts for each reader).
_SMALL_THEN = """SELECT s.user_id FROM user_stats s
WHERE s.posts + (
  SELECT COALESCE(sum(t.posts), 0) FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.follower_id = s.user_id
    AND f.followed_id NOT IN (SELECT user_id FROM home_feed_author)) <= """
_SMALL_NOW = """SELECT s.user_id FROM user_stats s
LEFT JOIN (
  SELECT f.follower_id, sum(t.posts) AS posts
  FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.followed_id NOT IN (SELECT user_id FROM home_feed_author)
  GROUP BY f.follower_id) followed ON followed.follower_id = s.user_id
WHERE s.posts + COALESCE(followed.posts, 0) <= """


def _small_as_then(sql: str) -> str:
    return sql.replace(_SMALL_NOW, _SMALL_THEN)
