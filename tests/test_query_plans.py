"""The page queries read index ranges, never a whole table, and never sort posts (SQLite plans).

PostgreSQL chooses plans by table statistics, so its plans are checked by the benchmark at
1,000,000 posts instead (bench/), not here.
"""

import re
from functools import partial

import pytest
import sqlalchemy as sa

from app.models import POSTS_NEWEST_FIRST
from app.pagination import keyset_page
from app.postcards import explore_cards, profile_cards
from app.timeline import home_timeline_page
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("sqlite"), reason="reads SQLite query plans"
)
WHOLE_TABLE = re.compile(r"\bSCAN (post|user|followers)\b(?! USING)|\bSCAN \w*post\b(?! USING)")


def plans_of(db, action) -> list[str]:
    """The query plan of every statement ``action()`` runs."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    connection = db.session.connection().connection.dbapi_connection
    return [
        "\n".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, params))
        for sql, params in statements
    ]


def assert_index_only(plans: list[str], *indexes: str) -> None:
    text = "\n".join(plans)
    assert not WHOLE_TABLE.search(text), text
    for index in indexes:
        assert index in text, text


def test_explore_walks_the_timestamp_index_backwards(db, alice, make_post):
    make_post(alice)
    page = keyset_page(explore_cards(), POSTS_NEWEST_FIRST, 3)
    plans = plans_of(
        db, lambda: keyset_page(explore_cards(), POSTS_NEWEST_FIRST, 3, after=page.next_cursor)
    )
    assert_index_only(plans, "ix_post_timestamp_id")
    assert "TEMP B-TREE" not in plans[0]


def test_profile_posts_and_counts_use_indexes(db, alice, bob, make_post):
    make_post(alice)
    bob.follow(alice)
    db.session.commit()
    db.session.refresh(alice)  # now, not while plans are recorded
    plans = plans_of(
        db,
        lambda: (
            keyset_page(profile_cards(alice), POSTS_NEWEST_FIRST, 3),
            alice.posts_count(),
            alice.followers_count(),
            alice.following_count(),
        ),
    )
    assert_index_only(plans, "ix_post_user_id_timestamp_id_hidden_at", "ix_followers_followed_id")
    assert "TEMP B-TREE" not in plans[0]
    assert all("COVERING INDEX" in plan for plan in plans[1:])


def test_home_timeline_reads_only_index_ranges(db, alice, bob, make_post):
    alice.follow(bob)
    make_post(bob)
    db.session.commit()
    timeline = partial(home_timeline_page, alice)
    for after in (None, keyset_page(timeline, POSTS_NEWEST_FIRST, 1).next_cursor):
        plans = plans_of(
            db, lambda after=after: keyset_page(timeline, POSTS_NEWEST_FIRST, 1, after=after)
        )
        assert_index_only(plans, "ix_post_timestamp_id", "ix_post_user_id_timestamp_id_hidden_at")
