"""A merged account's reply to an account under the fan-out limit, and a follow that makes a
reader one of those shown it, at once (PostgreSQL, real concurrent connections). The reply is
fanned out to the readers shown it when it is written; a follow copies the replies fanned out
before it. Whichever comes second waits for the first (both lock the stats rows of the
accounts they touch), so the reader's feed has the reply either way, and every home page is
the plain query's (app/models/feed.py)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.listings.keyset import keyset_page
from app.listings.timeline import home_timeline
from app.models import Post, User, home_feed, home_feed_author
from app.models.feed import build_home_feed
from app.models.types import utcnow
from tests.helpers import add_users, second_waits_for_first
from tests.listings.test_timeline import assert_every_home_matches

REPLY = sa.text(
    "INSERT INTO post (body, timestamp, user_id, in_reply_to_id, in_reply_to_user_id) "
    "VALUES ('an answer', :now, :big, :answered_post, :small)"
)


FOLLOWS = {
    "big": sa.text(
        "INSERT INTO followers (follower_id, followed_id, created_at) VALUES (:reader, :big, :now)"
    ),
    "small": sa.text(
        "INSERT INTO followers (follower_id, followed_id, created_at) "
        "VALUES (:reader, :small, :now)"
    ),
}


@pytest.fixture
def big_and_small(shared_app, shared_db):
    """big, followed by more accounts than the fan-out limit (3 in tests): merged; small, under
    it, with a post to answer; reader, with a feed, following neither yet. Their ids, the
    post's, and a time after every post."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two cannot overlap")
    big, small, reader, *fans = add_users("big", "small", "reader", "fan1", "fan2", "fan3")
    answered = Post(body="a question", author=small, timestamp=utcnow() - timedelta(hours=1))
    db.session.add(answered)
    db.session.commit()
    for fan in fans:
        fan.follow(big)
    small.follow(big)
    db.session.commit()
    assert shared_app.config["HOME_FEED_FANOUT_LIMIT"] == 3
    assert big.id in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    build_home_feed(db.session.connection(), reader.id)
    db.session.commit()
    return {
        "big": big.id,
        "small": small.id,
        "reader": reader.id,
        "answered_post": answered.id,
        "now": utcnow(),
    }


def _in_feed(reader: int) -> set[int]:
    query = sa.select(home_feed.c.post_id).where(home_feed.c.user_id == reader)
    return set(db.session.scalars(query))


@pytest.mark.parametrize("already", ["big", "small"])
@pytest.mark.parametrize("reply_first", [True, False])
def test_a_reply_fanned_out_and_a_follow_that_shows_it_at_once(big_and_small, already, reply_first):
    """The reader follows one of the two already and follows the other while big answers
    small: the answer is in the reader's feed and on their page, whichever came first."""
    values = big_and_small
    reader = db.session.get(User, values["reader"])
    reader.follow(db.session.get(User, values[already]))
    db.session.commit()
    other = "small" if already == "big" else "big"
    follow = FOLLOWS[other]
    first, second = (REPLY, follow) if reply_first else (follow, REPLY)
    second_waits_for_first(first, second, values)
    answer = db.session.scalar(sa.select(Post.id).where(Post.body == "an answer"))
    assert answer in _in_feed(values["reader"])
    page = keyset_page(home_timeline(reader), 5)
    assert answer in [card.id for card in page.items]
    assert_every_home_matches(db, db.session.scalars(sa.select(User)).all(), 2)
