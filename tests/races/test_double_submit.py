"""A form sent twice quickly (a double click): the second answer is the first one's, never an
error about the change the first one just made, and never more than the first one gave."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.forms import RegistrationForm
from app.models import User, user_by_username
from app.models.types import utcnow
from tests.helpers import PASSWORD, TIMEOUT, FormClient, at_once, csrf_token_from, wait_before

NEW_ACCOUNT = {
    "username": "carol",
    "email": "carol@example.com",
    "password": "a long password",
    "password2": "a long password",
}
NEW_PASSWORD = "a fresh new password"


def accounts(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_registering_twice_answers_like_the_first_time(client, db, mailbox):
    # Both sent from the one page (a double click): the second left with the cookie the page
    # had, before the first one's answer (which logs in, with a new session) came back.
    token = csrf_token_from(client.get("/auth/register").get_data(as_text=True))
    cookie = client.client.get_cookie("session").value
    first = client.post("/auth/register", data={**NEW_ACCOUNT, "csrf_token": token})
    client.client.set_cookie("session", cookie)
    second = client.post("/auth/register", data={**NEW_ACCOUNT, "csrf_token": token})

    assert first.headers["Location"] == second.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Welcome to Chirp! You are logged in." in page
    assert "the link we sent to carol@example.com" in page
    assert "taken" not in page
    assert accounts(db) == 1
    assert len(mailbox.messages) == 1  # one confirmation link, not two


def test_registering_twice_at_once_makes_one_account(shared_app, shared_db, monkeypatch):
    # Both requests pass the form's checks before either writes; the loser of the database's
    # unique constraint finds its own twin, not someone else's account.
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    wait_before(monkeypatch, RegistrationForm, "validate", barrier.wait)

    def register():
        return FormClient(shared_app.test_client()).submit("/auth/register", NEW_ACCOUNT)

    responses = at_once(register, register)

    assert [response.headers["Location"] for response in responses] == ["/"] * 2
    assert accounts(shared_db) == 1


@pytest.mark.parametrize(
    ("second", "error"),
    [
        ({"password": "another password", "password2": "another password"}, "username is taken"),
        ({"email": "other@example.com"}, "username is taken"),
        ({"username": "Carol"}, "username is taken"),
        ({"username": "carol2"}, "already registered"),
    ],
)
def test_a_different_second_form_is_still_refused(app, client, db, second, error):
    # Only the very same name, address and password count as the form sent twice (from another
    # browser: the first one is logged in as the new account now).
    client.submit("/auth/register", NEW_ACCOUNT)
    response = FormClient(app.test_client()).submit("/auth/register", {**NEW_ACCOUNT, **second})
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert accounts(db) == 1


def test_the_same_form_much_later_is_refused(app, client, db):
    client.submit("/auth/register", NEW_ACCOUNT)
    user_by_username("carol").created_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = FormClient(app.test_client()).submit("/auth/register", NEW_ACCOUNT)
    assert response.status_code == 200
    assert "That username is taken" in response.get_data(as_text=True)


def test_registering_again_once_logged_in_goes_home(client, db):
    client.submit("/auth/register", NEW_ACCOUNT)  # which logs this browser in
    # The second click arrives once this browser is logged in (as after a slow first answer).
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post("/auth/register", data={**NEW_ACCOUNT, "csrf_token": token})
    assert response.headers["Location"] == "/"
    assert accounts(db) == 1


def send_password_change(client, monkeypatch, alice, db, current: str, new: str):
    """Post the password form; just before the request re-reads alice (its once-a-minute
    ``last_seen`` write), another request changes her password to :data:`NEW_PASSWORD`, as the
    first of two clicks does."""
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    alice.last_seen = utcnow() - timedelta(minutes=5)
    db.session.commit()
    alice_id = alice.id

    def first_click_lands() -> None:
        with client.application.app_context():  # the other request: a session of its own
            db.session.get(User, alice_id).set_password(NEW_PASSWORD)
            db.session.commit()

    wait_before(monkeypatch, User, "touch_last_seen", first_click_lands)
    data = {"csrf_token": token, "current_password": current, "password": new, "password2": new}
    response = client.post("/account/password", data=data)
    monkeypatch.undo()
    return response


def test_changing_the_password_twice_answers_like_the_first_time(
    alice_client, alice, db, monkeypatch, mailbox
):
    response = send_password_change(alice_client, monkeypatch, alice, db, PASSWORD, NEW_PASSWORD)

    assert response.headers["Location"] == "/account/"
    page = alice_client.get("/account/").get_data(as_text=True)
    assert "Your password has been changed." in page  # still logged in, on the settings page
    assert "not your current password" not in page
    assert mailbox.messages == []  # the first click sent the notice
    db.session.expire_all()
    assert user_by_username("alice").check_password(NEW_PASSWORD)


def test_a_wrong_current_password_is_still_refused(alice_client, alice, db, monkeypatch):
    response = send_password_change(
        alice_client, monkeypatch, alice, db, "a wrong guess", "yet another password"
    )

    assert response.status_code == 200
    assert "That is not your current password." in response.get_data(as_text=True)
    db.session.expire_all()
    assert user_by_username("alice").check_password(NEW_PASSWORD)
