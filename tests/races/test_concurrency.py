"""Races between requests, with real concurrent connections (SQLite file or PostgreSQL).

Every request runs in its own thread, so it has its own app context, session and connection.
A barrier holds the requests at the dangerous point (after the check, before the write) until
all of them got there, so each run takes the interleaving that naive code gets wrong.
"""

import threading
from functools import partial

import pytest
import sqlalchemy as sa

from app.auth.forms import RegistrationForm
from app.extensions import db
from app.models import Notification, User, followers
from tests.helpers import PASSWORD, TIMEOUT, FormClient, add_users, at_once, logged_in, wait_before


def delete_user(app, user_id: int) -> None:
    """Delete an account from a session and connection of its own, as another process would."""
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.id == user_id))
        db.session.commit()


def count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def user_ids() -> list[int]:
    return list(db.session.scalars(sa.select(User.id).order_by(User.id)))


def follow_rows() -> int:
    return count(sa.select(followers))


def orphan_follow_rows() -> int:
    """Follow rows whose follower or followed account no longer exists."""
    user_ids = sa.select(User.id)
    return count(
        sa.select(followers).where(
            sa.or_(
                followers.c.follower_id.not_in(user_ids), followers.c.followed_id.not_in(user_ids)
            )
        )
    )


@pytest.mark.parametrize(
    ("second", "error"),
    [
        (
            {"username": "ROBIN", "email": "other@example.com"},
            "That username is taken. Please choose another.",
        ),
        (
            {"username": "robin2", "email": "Robin@Example.com"},
            "That email address is already registered.",
        ),
    ],
)
def test_simultaneous_registrations_make_one_account(
    shared_app, shared_db, monkeypatch, second, error
):
    # Both requests pass the form's uniqueness check before either inserts: the database's
    # unique constraint decides, and the loser gets the ordinary form error.
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    original = RegistrationForm.validate_on_submit

    def validate_then_wait(form, *args, **kwargs):
        valid = original(form, *args, **kwargs)
        if valid:
            barrier.wait()
        return valid

    monkeypatch.setattr(RegistrationForm, "validate_on_submit", validate_then_wait)
    forms = [{"username": "robin", "email": "robin@example.com"}, second]

    def register(data):
        client = FormClient(shared_app.test_client())
        return client.submit(
            "/auth/register", {**data, "password": PASSWORD, "password2": PASSWORD}
        )

    responses = at_once(*(partial(register, data) for data in forms))

    assert sorted(r.status_code for r in responses) == [200, 302]
    (winner,) = (data for data, r in zip(forms, responses, strict=True) if r.status_code == 302)
    (loser,) = (data for data, r in zip(forms, responses, strict=True) if r.status_code == 200)
    page = next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert page.count('class="field-error"') == 1
    assert error in page
    assert f'value="{loser["username"]}"' in page
    assert f'value="{loser["email"]}"' in page
    assert list(db.session.scalars(sa.select(User.username))) == [winner["username"]]


def test_following_twice_at_once_leaves_one_row_and_one_notification(
    shared_app, shared_db, monkeypatch
):
    _alice, bob = add_users("alice", "bob")
    clients = [logged_in(shared_app, "alice") for _ in range(2)]
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    wait_before(monkeypatch, User, "follow", barrier.wait)

    responses = at_once(
        *(
            partial(client.submit, "/follow/bob", page="/user/bob", follow_redirects=True)
            for client in clients
        )
    )

    for response in responses:
        assert response.status_code == 200
        assert "You are following bob." in response.get_data(as_text=True)
    assert follow_rows() == 1
    assert bob.followers_count() == 1
    assert count(sa.select(Notification)) == 1


def test_follow_after_the_account_was_deleted_is_a_404(shared_app, shared_db, monkeypatch):
    # The route found bob; another connection deletes him before the follow is written.
    alice_id, bob_id = (user.id for user in add_users("alice", "bob"))
    client = logged_in(shared_app, "alice")
    wait_before(
        monkeypatch, User, "follow", lambda: at_once(lambda: delete_user(shared_app, bob_id))
    )

    response = client.submit("/follow/bob", page="/user/bob")

    assert response.status_code == 404
    assert "There is no user called bob." in response.get_data(as_text=True)
    assert follow_rows() == 0
    assert user_ids() == [alice_id]


def test_unfollow_after_the_account_was_deleted_is_harmless(shared_app, shared_db, monkeypatch):
    alice, bob = add_users("alice", "bob")
    alice.follow(bob)
    db.session.commit()
    bob_id = bob.id
    client = logged_in(shared_app, "alice")
    wait_before(
        monkeypatch, User, "unfollow", lambda: at_once(lambda: delete_user(shared_app, bob_id))
    )

    response = client.submit("/unfollow/bob", page="/user/bob", follow_redirects=True)

    # Nothing left to unfollow; the profile it goes back to is gone, and says so.
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "You are not following bob." in page
    assert "There is no user called bob." in page
    assert follow_rows() == 0


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_deleting_an_account_while_it_is_followed_or_unfollowed(
    shared_app, shared_db, monkeypatch, action
):
    # Deletion and the follow change hit the database together; whichever wins, no follow row may
    # point at a missing account and no request may fail.
    alice, bob, carol = add_users("alice", "bob", "carol")
    carol.follow(bob)
    if action == "unfollow":
        alice.follow(bob)
    db.session.commit()
    ids = {user.username: user.id for user in (alice, bob, carol)}
    client = logged_in(shared_app, "alice")
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    wait_before(monkeypatch, User, action, barrier.wait)

    def delete_bob():
        barrier.wait()
        delete_user(shared_app, ids["bob"])

    response, _ = at_once(lambda: client.submit(f"/{action}/bob", page="/user/bob"), delete_bob)

    assert response.status_code in (302, 404)
    assert user_ids() == [ids["alice"], ids["carol"]]
    assert orphan_follow_rows() == 0
    assert follow_rows() == 0
