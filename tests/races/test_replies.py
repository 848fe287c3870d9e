"""Stored reply counts under concurrency (PostgreSQL, real concurrent connections): a reply
written or deleted while the post it answers is deleted, or while its author is suspended, in
either order. The second to come waits for the first to commit; then no count is left wrong,
no row outlives its post, and neither side fails on the stored counts' foreign key
(app/models/counts.py).
"""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Post, post_stats
from tests.helpers import add_users, second_waits_for_first
from tests.models.test_counts import assert_reply_counts_right, reply_count

STATEMENTS = {
    # A second reply (its thread path left out: nothing here reads it).
    "reply": sa.text(
        "INSERT INTO post (body, timestamp, user_id, in_reply_to_id, in_reply_to_user_id) "
        "VALUES ('a late reply', now(), :alice, :parent, :bob)"
    ),
    "reply deletion": sa.text("DELETE FROM post WHERE id = :reply"),
    "parent deletion": sa.text("DELETE FROM post WHERE id = :parent"),
    "suspension": sa.text('UPDATE "user" SET suspended_at = now() WHERE id = :alice'),
}


@pytest.fixture
def thread_of_two(shared_app, shared_db):
    """bob's post and alice's reply to it, committed: their ids and the accounts' ids."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two cannot overlap")
    alice, bob = add_users("alice", "bob")
    parent = Post(body="answer me", author=bob)
    db.session.add(parent)
    db.session.commit()
    reply = parent.reply(alice, "an answer")
    db.session.commit()
    return {"alice": alice.id, "bob": bob.id, "parent": parent.id, "reply": reply.id}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("reply", "parent deletion"),
        ("parent deletion", "reply"),
        ("reply deletion", "parent deletion"),
        ("parent deletion", "reply deletion"),
    ],
)
def test_a_reply_and_its_parents_deletion_at_once(thread_of_two, first, second):
    second_waits_for_first(STATEMENTS[first], STATEMENTS[second], thread_of_two)
    assert db.session.get(Post, thread_of_two["parent"]) is None
    stored = db.session.scalars(sa.select(post_stats.c.post_id)).all()
    assert thread_of_two["parent"] not in stored  # its row went with it
    assert_reply_counts_right(db)


@pytest.mark.parametrize(("first", "second"), [("reply", "suspension"), ("suspension", "reply")])
def test_a_reply_and_its_authors_suspension_at_once_count_it_once(thread_of_two, first, second):
    """alice answers bob's post while a moderator suspends her: whichever commits second sees
    the first, so neither of her replies counts afterwards."""
    second_waits_for_first(STATEMENTS[first], STATEMENTS[second], thread_of_two)
    assert_reply_counts_right(db)
    assert reply_count(db, thread_of_two["parent"]) == 0
