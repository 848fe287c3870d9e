"""An account's promotion past the fan-out limit and a new follow of it at once (PostgreSQL,
real concurrent connections). The promotion's post takes the account's rows out of the other
readers' feeds (pages do not check each row's author); a follow copies its posts into the new
follower's. Whichever comes second waits for the first, so no row by a merged account is left
in another reader's feed, and every home page is the plain query's (app/models/feed.py)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, User, home_feed, home_feed_author
from app.models.types import utcnow
from tests.helpers import add_users, second_waits_for_first
from tests.listings.test_timeline import assert_every_home_matches

STATEMENTS = {
    "follow": sa.text(
        "INSERT INTO followers (follower_id, followed_id, created_at) "
        "VALUES (:newcomer, :quiet, :now)"
    ),
    "promoting post": sa.text(
        "INSERT INTO post (body, timestamp, user_id) VALUES ('past the limit', :now, :quiet)"
    ),
}


@pytest.fixture
def quiet_at_the_limit(shared_app, shared_db):
    """quiet, followed by one account more than the fan-out limit (3 in tests) but not merged
    yet (it has not posted since), with posts in its four followers' feeds; newcomer, who has
    a feed and does not follow quiet yet. Their ids, and a time after every post."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two cannot overlap")
    quiet, newcomer, *fans = add_users("quiet", "newcomer", "fan1", "fan2", "fan3")
    start = utcnow() - timedelta(hours=1)
    for minute in range(3):
        db.session.add(Post(body=f"quiet {minute}", author=quiet, timestamp=start))
        start += timedelta(minutes=1)
    db.session.commit()
    for fan in (*fans, *add_users("fan4")):
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
    ("first", "second"), [("follow", "promoting post"), ("promoting post", "follow")]
)
def test_a_follow_and_the_followed_accounts_promotion_at_once(quiet_at_the_limit, first, second):
    assert len(_rows_in_others_feeds(quiet_at_the_limit["quiet"])) == 4 * 3
    second_waits_for_first(STATEMENTS[first], STATEMENTS[second], quiet_at_the_limit)
    quiet = quiet_at_the_limit["quiet"]
    assert quiet in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    assert _rows_in_others_feeds(quiet) == []
    assert_every_home_matches(db, db.session.scalars(sa.select(User)).all(), 2)
