"""An account's promotion past the fan-out limit and a post of its own at once (PostgreSQL,
real concurrent connections). The follow that takes the account past the limit merges it and
takes its rows out of the other readers' feeds (pages do not check each row's author); a post
by an account not merged goes into its followers' feeds. Whichever comes second waits for the
first, so no row by a merged account is left in another reader's feed, the post is in
``home_feed_merged`` whichever came first, and every home page is the plain query's
(app/models/feed.py)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User, home_feed, home_feed_author, home_feed_merged
from app.models.types import utcnow
from tests.helpers import add_users, second_waits_for_first
from tests.listings.test_timeline import assert_every_home_matches

STATEMENTS = {
    "promoting follow": sa.text(
        "INSERT INTO followers (follower_id, followed_id, created_at) "
        "VALUES (:newcomer, :quiet, :now)"
    ),
    "post": sa.text(
        "INSERT INTO post (body, timestamp, user_id) VALUES ('at the limit', :now, :quiet)"
    ),
}


@pytest.fixture
def quiet_at_the_limit(shared_app, shared_db):
    """quiet, followed by as many accounts as the fan-out limit (3 in tests), with posts in
    its three followers' feeds; newcomer, who has a feed and does not follow quiet yet. Their
    ids, and a time after every post."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two cannot overlap")
    quiet, newcomer, *fans = add_users("quiet", "newcomer", "fan1", "fan2", "fan3")
    start = utcnow() - timedelta(hours=1)
    for minute in range(3):
        db.session.add(Post(body=f"quiet {minute}", author=quiet, timestamp=start))
        start += timedelta(minutes=1)
    db.session.commit()
    for fan in fans:
        fan.follow(quiet)
    db.session.commit()
    assert shared_app.config["HOME_FEED_FANOUT_LIMIT"] == 3
    assert quiet.id not in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    return {"quiet": quiet.id, "newcomer": newcomer.id, "now": utcnow()}


def _rows_in_others_feeds(author: int) -> list[int]:
    query = sa.select(home_feed.c.user_id).where(
        home_feed.c.author_id == author, home_feed.c.user_id != author
    )
    return db.session.scalars(query).all()


@pytest.mark.parametrize(
    ("first", "second"), [("promoting follow", "post"), ("post", "promoting follow")]
)
def test_a_post_and_its_authors_promotion_at_once(quiet_at_the_limit, first, second):
    quiet = quiet_at_the_limit["quiet"]
    assert len(_rows_in_others_feeds(quiet)) == 3 * 3
    second_waits_for_first(STATEMENTS[first], STATEMENTS[second], quiet_at_the_limit)
    assert quiet in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert _rows_in_others_feeds(quiet) == []
    merged = db.session.scalars(
        sa.select(home_feed_merged.c.post_id).where(home_feed_merged.c.author_id == quiet)
    ).all()
    posts = db.session.scalars(sa.select(Post.id).where(Post.user_id == quiet)).all()
    assert sorted(merged) == sorted(posts)
    assert len(posts) == 4
    assert_every_home_matches(db, db.session.scalars(sa.select(User)).all(), 2)
