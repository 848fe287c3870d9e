"""Deleting one's account: posts and follows go with it (database cascades), the name is freed."""

import pytest
import sqlalchemy as sa

from app.models import Post, User, followers, user_by_username
from tests.helpers import PASSWORD, FormClient


def count(db, table) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(table))


@pytest.fixture
def alice_with_a_life(alice, bob, make_user, make_post, db):
    """alice posts, follows bob and carol, and is followed by both; bob and carol post too."""
    carol = make_user("carol")
    for author, body in [(alice, "alice was here"), (alice, "alice again"), (bob, "bob speaks")]:
        make_post(author, body)
    make_post(carol, "carol speaks")
    alice.follow(bob)
    alice.follow(carol)
    bob.follow(alice)
    carol.follow(alice)
    bob.follow(carol)
    db.session.commit()
    return alice


def test_delete_needs_the_password(alice_client, alice_with_a_life, db):
    response = alice_client.submit("/account/delete", {"password": "wrong password"})
    assert response.status_code == 200
    assert "That is not your password." in response.get_data(as_text=True)
    assert user_by_username("alice") is not None
    assert count(db, Post) == 4


def test_delete_removes_everything_of_theirs(app, alice_client, alice_with_a_life, db, login):
    alice_id = alice_with_a_life.id
    elsewhere = FormClient(app.test_client())
    elsewhere.submit("/auth/login", {"username": "alice", "password": PASSWORD})

    response = alice_client.submit("/account/delete", {"password": PASSWORD})
    assert response.headers["Location"] == "/auth/login"
    assert "have been deleted" in alice_client.get("/auth/login").get_data(as_text=True)
    db.session.expire_all()

    assert db.session.get(User, alice_id) is None
    # The database's ON DELETE CASCADE removed her posts and both directions of follows.
    assert count(db, sa.select(Post).where(Post.user_id == alice_id).subquery()) == 0
    assert count(db, Post) == 2
    rows = db.session.execute(sa.select(followers)).all()
    assert [(row.follower_id, row.followed_id) for row in rows] == [
        (user_by_username("bob").id, user_by_username("carol").id)
    ]
    # This browser is logged out, and so is every other one.
    assert alice_client.get("/").headers["Location"].startswith("/auth/login")
    assert elsewhere.get("/").headers["Location"].startswith("/auth/login")

    # Nothing of hers on any page others see.
    login("bob")
    pages = ["/", "/explore", "/user/bob", "/user/bob/followers", "/user/bob/following"]
    pages += ["/user/carol", "/user/carol/followers"]
    for url in pages:
        page = alice_client.get(url).get_data(as_text=True)
        assert "alice" not in page.lower(), url
    assert alice_client.get("/user/alice").status_code == 404
    bob_page = alice_client.get("/user/bob").get_data(as_text=True)
    assert "<strong>0</strong> followers" in bob_page
    assert "<strong>1</strong> following" in bob_page


def test_deleted_username_and_address_can_be_registered_again(alice_client, db, client):
    alice_client.submit("/account/delete", {"password": PASSWORD})
    again = {
        "username": "Alice",
        "email": "alice@example.com",
        "password": "a long password",
        "password2": "a long password",
    }
    response = client.submit("/auth/register", again)
    assert response.status_code == 302
    assert user_by_username("alice").username == "Alice"


def test_delete_page_offers_an_export_first(alice_client):
    page = alice_client.get("/account/delete").get_data(as_text=True)
    assert "/account/export" in page
    assert "for good" in page


def test_delete_needs_csrf_and_login(alice_client, client, db):
    response = alice_client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    assert user_by_username("alice") is not None
    anonymous = FormClient(alice_client.application.test_client())
    assert anonymous.get("/account/delete").headers["Location"].startswith("/auth/login")
