"""The migration after which a merged account's replies to accounts that are not merged are
fanned out to the readers shown them, not read at page time."""

import re

import sqlalchemy as sa
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
from tests.platform.test_migration_feed_promotion import _readers_of, _run

REVISION = "b9e4d2f7a1c6"
BEFORE = "f1b9c3e7a5d2"
NEW_NAMES = {"tr_home_feed_post_hide", "home_feed_on_hide", "tr_home_feed_reply_insert"}
"""The triggers (and PostgreSQL's function) this migration adds: for the earlier ones' tests."""
MERGED_POSTS_BEFORE = """
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id FROM post p
WHERE p.user_id IN (SELECT user_id FROM home_feed_author)
ORDER BY p."timestamp", p.id"""
"""``feed.MERGED_POSTS`` before this migration: every post of the merged accounts."""
MERGED = 1  # followed by users 2-5 in _fill (each follows everyone with a smaller id)


def _reply(post_id: int, author: int, to_post: int, day: int) -> None:
    _run(
        "INSERT INTO post (id, body, timestamp, user_id, in_reply_to_id, in_reply_to_user_id) "
        "SELECT :id, 're', :at, :author, p.id, p.user_id FROM post p WHERE p.id = :to_post",
        id=post_id,
        at=f"2030-01-{day:02d} 00:00:00+00:00",
        author=author,
        to_post=to_post,
    )


def _merged_rows() -> set[int]:
    with db.engine.connect() as connection:
        return set(connection.exec_driver_sql("SELECT post_id FROM home_feed_merged").scalars())


def _fanned_rows() -> set[int]:
    with db.engine.connect() as connection:
        return set(connection.exec_driver_sql("SELECT post_id FROM home_feed_reply").scalars())


def _build_every_feed() -> None:
    with db.engine.begin() as connection:
        for reader in range(1, 6):
            feed.build_home_feed(connection, reader)


def test_upgrade_fans_out_the_merged_accounts_replies(migration_app):
    upgrade(revision="0583fe2d4f6e")
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=BEFORE)
    over = feed.HOME_FEED_FANOUT_LIMIT + 1
    _run("UPDATE user_stats SET followers = :n WHERE user_id = :user", n=over, user=MERGED)
    # Post n is user 1 + n % 3's: 100 answers user 3, who is not merged; 101 the author.
    _reply(100, MERGED, 2, 1)
    _reply(101, MERGED, 3, 2)
    assert {100, 101} <= _merged_rows()  # the old triggers: every post of a merged account

    upgrade(revision=REVISION)
    assert 100 not in _merged_rows()
    assert 101 in _merged_rows()
    assert _fanned_rows() == {100}
    assert _readers_of(MERGED) == set()  # every feed emptied, built on the next visit
    _pages_match_the_plain_query()
    _build_every_feed()
    # Shown to the account answered (3) and its followers who follow the author (4, 5); the
    # author's own feed has it too.
    assert {reader for reader, _ in _rows_of(100)} == {1, 3, 4, 5}
    _pages_match_the_plain_query()

    _reply(103, MERGED, 5, 4)  # answers user 3 again: fanned out by the new triggers
    assert 103 in _fanned_rows()
    assert {reader for reader, _ in _rows_of(103)} == {1, 3, 4, 5}
    _run("DELETE FROM followers WHERE follower_id = 4 AND followed_id = 3")
    _pages_match_the_plain_query()  # the row stays in 4's feed; the page leaves it out
    _run("INSERT INTO followers (follower_id, followed_id, created_at) VALUES (4, 3, :at)", at=WHEN)
    _pages_match_the_plain_query()  # copied again where missing, never twice
    _run("UPDATE post SET hidden_at = :at WHERE id = 101", at=WHEN)
    with db.engine.connect() as connection:
        hidden = connection.exec_driver_sql(
            "SELECT hidden_at FROM home_feed_merged WHERE post_id = 101"
        ).scalar_one()
    assert hidden is not None
    _pages_match_the_plain_query()

    downgrade(revision=BEFORE)
    assert {100, 101, 103} <= _merged_rows()  # back where the old pages read them
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("home_feed_reply")
    _pages_match_the_plain_query()
    upgrade(revision=REVISION)
    assert {100, 103} <= _fanned_rows()
    _build_every_feed()
    _pages_match_the_plain_query()


def _rows_of(post_id: int) -> set[tuple[int, int]]:
    """(reader, post) of the feed rows of ``post_id``."""
    with db.engine.connect() as connection:
        query = sa.text("SELECT user_id, post_id FROM home_feed WHERE post_id = :post")
        return {tuple(row) for row in connection.execute(query, {"post": post_id})}


def test_migration_copies_the_models_sql():
    migration = load_migration(REVISION)
    settings = (feed.HOME_FEED_SIZE, feed.HOME_FEED_FANOUT_LIMIT)
    sqlite = feed.sqlite_triggers(*settings)
    assert {name: sqlite[name] for name in migration.SQLITE_TRIGGERS} == migration.SQLITE_TRIGGERS
    postgresql = feed.postgresql_functions(*settings)
    assert {
        name: postgresql[name] for name in migration.POSTGRESQL_FUNCTIONS
    } == migration.POSTGRESQL_FUNCTIONS
    trigger = feed.POSTGRESQL_TRIGGERS["tr_home_feed_post_hide"]
    assert f"CREATE TRIGGER tr_home_feed_post_hide {trigger}" == migration.POSTGRESQL_HIDE_TRIGGER
    expected = feed._read_at_page_time("home_feed_merged")
    expected = expected.replace("home_feed_merged.user_id", "home_feed_merged.author_id")
    assert expected == migration.READ_AT_PAGE_TIME
    # The downgrade puts back what the migrations before wrote last.
    for attribute in ("SQLITE_TRIGGERS", "POSTGRESQL_FUNCTIONS"):
        before = getattr(migration, f"{attribute}_BEFORE")
        assert before == {name: written_before(REVISION, attribute, name) for name in before}
        assert set(getattr(migration, attribute)) - set(before) <= NEW_NAMES


def as_before(statements: dict[str, str]) -> dict[str, str]:
    """The models' trigger SQL as it was before this migration: for the earlier ones' tests."""
    return sql_before(REVISION, statements, NEW_NAMES)


# The fanned-out replies a rebuild adds to each reader's candidates: from their UNION ALL to
# the end of the candidates' subquery.
_FANNED_CANDIDATES = re.compile(
    r"\n    UNION ALL\n    SELECT r\.answered_id, .*?(?=\) candidates)", re.DOTALL
)


def rebuild_as_before(statements: list[str]) -> list[str]:
    """``feed.rebuild_statements`` as they were before this migration (no replies fanned out
    among the candidates): for the earlier migrations' tests."""
    return [_FANNED_CANDIDATES.sub("", sql) for sql in statements]
