"""Nobody changes anything of another user's: every state-changing route acts only on the
logged-in user, whatever the request says, and needs a login and a token of its own session."""

import pytest
import sqlalchemy as sa

from app.models import User
from tests.helpers import PASSWORD, FormClient, csrf_token_from

STATE_CHANGING = [
    ("/", {"post": "hello"}),
    ("/edit_profile", {"username": "mallory", "about_me": "hi"}),
    ("/follow/bob", {}),
    ("/unfollow/bob", {}),
    ("/auth/logout", {}),
]


@pytest.mark.parametrize(("url", "data"), STATE_CHANGING)
def test_anonymous_posts_change_nothing(client, alice, bob, db, url, data):
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    db.session.expire_all()
    assert [u.username for u in db.session.scalars(sa.select(User).order_by(User.id))] == [
        "alice",
        "bob",
    ]
    assert bob.followers_count() == 0


def other_client(app, username: str) -> FormClient:
    other = FormClient(app.test_client())
    response = other.submit("/auth/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return other


@pytest.mark.parametrize(("url", "data"), STATE_CHANGING)
def test_a_csrf_token_from_another_session_is_refused(app, alice_client, bob, url, data):
    """A token stolen from (or planted by) bob's session does not work in alice's."""
    bobs = other_client(app, "bob")
    bobs_token = csrf_token_from(bobs.get("/").get_data(as_text=True))
    response = alice_client.post(url, data={"csrf_token": bobs_token, **data})
    assert response.status_code == 400
    assert alice_client.get("/").status_code == 200  # not logged out either


def test_edit_profile_changes_only_the_current_user(alice_client, alice, bob, db):
    bob.about_me = "bob's own words"
    db.session.commit()
    response = alice_client.submit(
        "/edit_profile",
        {
            "username": "alice2",
            "about_me": "changed",
            # Fields the form does not have are ignored, whoever they name.
            "id": str(bob.id),
            "user_id": str(bob.id),
            "email": "mallory@example.com",
            "password_hash": "x",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (alice.username, alice.about_me, alice.email) == (
        "alice2",
        "changed",
        "alice@example.com",
    )
    assert (bob.username, bob.about_me, bob.email) == ("bob", "bob's own words", "bob@example.com")
    assert bob.check_password(PASSWORD)


@pytest.mark.parametrize("name", ["bob", "BOB", "Bob"])
def test_nobody_can_take_another_users_name(alice_client, alice, bob, db, name):
    response = alice_client.submit("/edit_profile", {"username": name})
    assert "That username is taken" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (alice.username, bob.username) == ("alice", "bob")


def test_follow_changes_only_the_followers_own_list(alice_client, alice, bob, make_user, db):
    carol = make_user("carol")
    response = alice_client.submit(
        "/follow/bob", {"follower": "carol", "follower_id": str(carol.id)}, page="/user/bob"
    )
    assert response.status_code == 302
    assert alice.is_following(bob)
    assert not bob.is_following(alice)
    assert not carol.is_following(bob)
    assert bob.following_count() == 0


def test_unfollow_changes_only_the_followers_own_list(alice_client, alice, bob, make_user, db):
    carol = make_user("carol")
    carol.follow(bob)
    alice.follow(bob)
    db.session.commit()
    alice_client.submit("/unfollow/bob", page="/user/bob")
    assert not alice.is_following(bob)
    assert carol.is_following(bob)


def test_nobody_follows_themselves(alice_client, alice):
    response = alice_client.submit("/follow/alice", page="/user/alice")
    assert response.status_code == 302
    assert not alice.is_following(alice)


@pytest.mark.parametrize("url", ["/follow/nobody", "/unfollow/nobody"])
def test_following_a_missing_user_is_404(alice_client, url):
    assert alice_client.submit(url, page="/").status_code == 404


def test_logout_ends_only_this_session(app, alice_client, bob):
    alices_phone = other_client(app, "alice")
    bobs = other_client(app, "bob")
    alice_client.submit("/auth/logout", page="/")
    assert alice_client.get("/").status_code == 302
    assert alices_phone.get("/").status_code == 200
    assert bobs.get("/").status_code == 200


@pytest.mark.parametrize("url", ["/follow/bob", "/unfollow/bob", "/auth/logout"])
def test_links_cannot_change_anything(alice_client, alice, bob, url):
    """A GET (a link, an <img src>, a prefetch) never changes state."""
    assert alice_client.get(url).status_code == 405
    assert not alice.is_following(bob)
    assert alice_client.get("/").status_code == 200
