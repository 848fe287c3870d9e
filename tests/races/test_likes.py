"""Likes under concurrency, with real concurrent connections (SQLite file or PostgreSQL): one
person's two likes of a post at once (a double click, two tabs), and a like while the post is
deleted or hidden. Never two likes, never a 500, never a like of a post its reader cannot see.
"""

import threading
from functools import partial

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.likes import routes as like_routes
from app.models import Like, Post, like_count
from app.models.types import utcnow
from tests.helpers import TIMEOUT, add_users, at_once, logged_in, second_waits_for_first


def like_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Like))


@pytest.fixture
def bobs_post(shared_app, shared_db):
    """alice and bob, and bob's post (its id)."""
    _alice, bob = add_users("alice", "bob")
    post = Post(body="like me twice", author=bob)
    db.session.add(post)
    db.session.commit()
    return post.id


def before_the_lock(monkeypatch, step) -> None:
    """Run ``step`` in the like request after its first visibility check, just before it
    locks the post to write the like: where a naive check-then-write goes wrong."""
    original = like_routes.still_visible_or_404

    def patched(post_id: int) -> None:
        step()
        original(post_id)

    monkeypatch.setattr(like_routes, "still_visible_or_404", patched)


@pytest.mark.parametrize("javascript", [False, True])
def test_two_likes_at_once_make_one(shared_app, bobs_post, monkeypatch, javascript):
    # Both requests have checked the post and are about to write when the barrier lets them go.
    clients = [logged_in(shared_app, "alice") for _ in range(2)]
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    before_the_lock(monkeypatch, barrier.wait)
    headers = {"Accept": "application/json"} if javascript else {}

    responses = at_once(
        *(
            partial(client.submit, f"/post/{bobs_post}/like", page="/", headers=headers)
            for client in clients
        )
    )

    assert [r.status_code for r in responses] == ([200, 200] if javascript else [302, 302])
    if javascript:
        assert [r.json["count"] for r in responses] == [1, 1]
    assert like_rows() == 1
    assert like_count(db.session.get(Post, bobs_post)) == 1


@pytest.mark.parametrize("change", ["delete", "hide"])
def test_a_like_of_a_post_deleted_or_hidden_meanwhile_is_a_404(
    shared_app, bobs_post, monkeypatch, change
):
    post = Post.__table__
    statement = (
        sa.delete(post).where(post.c.id == bobs_post)
        if change == "delete"
        else sa.update(post).where(post.c.id == bobs_post).values(hidden_at=utcnow())
    )

    def elsewhere() -> None:
        with shared_app.app_context():
            db.session.execute(statement)
            db.session.commit()

    client = logged_in(shared_app, "alice")
    before_the_lock(monkeypatch, lambda: at_once(elsewhere))

    response = client.submit(f"/post/{bobs_post}/like", page="/")

    assert response.status_code == 404
    assert "That post does not exist or is no longer available." in response.get_data(as_text=True)
    assert like_rows() == 0


@pytest.mark.parametrize("first", ["like", "suspension"])
def test_a_like_and_its_likers_suspension_at_once_count_it_once(shared_app, bobs_post, first):
    """The stored count (app/models/counts.py) stays right when alice likes bob's post while a
    moderator suspends her: whichever commits second waits for the first and sees it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two cannot overlap")
    alice_id = db.session.scalar(sa.text("SELECT id FROM \"user\" WHERE username = 'alice'"))
    statements = {
        "like": sa.text(
            "INSERT INTO post_like (user_id, post_id, created_at) VALUES (:u, :p, now())"
        ),
        "suspension": sa.text('UPDATE "user" SET suspended_at = now() WHERE id = :u'),
    }
    second = "suspension" if first == "like" else "like"
    params = {"u": alice_id, "p": bobs_post}
    second_waits_for_first(statements[first], statements[second], params)
    assert like_rows() == 1
    assert like_count(bobs_post) == 0  # a suspended account's like does not count
    with db.engine.begin() as connection:
        connection.execute(sa.text('UPDATE "user" SET suspended_at = NULL WHERE id = :u'), params)
    assert like_count(bobs_post) == 1
