"""Registering, logging in and out."""

import pytest
import sqlalchemy as sa

from app.models import User
from tests.helpers import PASSWORD, FormClient

GOOD = {
    "username": "carol",
    "email": "carol@example.com",
    "password": "a long password",
    "password2": "a long password",
}


def test_register_logs_in_with_the_confirm_banner_then_log_in_again(client, db):
    response = client.submit("/auth/register", GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = db.session.scalar(sa.select(User).where(User.username == "carol"))
    assert user.check_password("a long password")
    home = client.get("/").get_data(as_text=True)
    assert "Hi, carol!" in home
    assert "Welcome to Chirp! You are logged in." in home
    assert "the link we sent to carol@example.com" in home
    assert "Confirm your email address to start posting" in home  # in place of the post box
    assert "outbox" not in home  # no development outbox outside debug mode

    client.submit("/auth/logout", {})
    response = client.submit("/auth/login", {"username": "carol", "password": "a long password"})
    assert response.headers["Location"] == "/"
    assert "Hi, carol!" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "This field is required."),
        ("username", "ab", "Usernames are 3 to 32 letters"),
        ("username", "x" * 33, "Usernames are 3 to 32 letters"),
        ("username", "bad name", "Usernames are 3 to 32 letters"),
        ("username", "émile", "Usernames are 3 to 32 letters"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "This field is required."),
        ("password", "short", "Use 8 to 128 characters."),
        ("password2", "different password", "The passwords do not match."),
    ],
)
def test_register_rejects_bad_input(client, db, field, value, message):
    data = {**GOOD, field: value}
    if field == "password":
        data["password2"] = value
    response = client.submit("/auth/register", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    if field != "username":
        assert 'value="carol"' in page  # what the user typed is kept


def test_register_rejects_password_equal_to_username(client):
    data = {**GOOD, "password": "carolcarol", "password2": "carolcarol", "username": "CarolCarol"}
    response = client.submit("/auth/register", data)
    assert "must not be your username" in response.get_data(as_text=True)


@pytest.mark.parametrize("taken", ["alice", "ALICE", "Alice"])
def test_register_rejects_taken_username_any_case(client, alice, taken):
    response = client.submit("/auth/register", {**GOOD, "username": taken})
    assert "That username is taken" in response.get_data(as_text=True)


def test_register_rejects_taken_email_any_case(client, alice):
    response = client.submit("/auth/register", {**GOOD, "email": "ALICE@example.com"})
    assert "already registered" in response.get_data(as_text=True)


def test_log_in_with_email(client, alice):
    response = client.submit(
        "/auth/login", {"username": "Alice@Example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", "correct horse battery"), ("alice", "")],
)
def test_log_in_failures_do_not_reveal_accounts(client, alice, username, password):
    response = client.submit("/auth/login", {"username": username, "password": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Invalid username or password." in page or "This field is required." in page
    assert client.get("/").status_code == 302


def test_remember_me_sets_cookie(client, alice):
    response = client.submit(
        "/auth/login",
        {"username": "alice", "password": "correct horse battery", "remember_me": "y"},
    )
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target", ["/explore", "/user/alice?after=1_2"])
def test_login_follows_local_next(client, alice, target):
    response = client.submit(
        f"/auth/login?next={target}", {"username": "alice", "password": "correct horse battery"}
    )
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "http://evil.example/",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "http:evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/\tevil",
        "explore",
    ],
)
def test_login_ignores_foreign_next(client, alice, target):
    from urllib.parse import quote

    response = client.submit(
        f"/auth/login?next={quote(target, safe='')}",
        {"username": "alice", "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/"


def test_login_page_redirects_when_logged_in(alice_client):
    assert alice_client.get("/auth/login").headers["Location"] == "/"
    assert alice_client.get("/auth/register").headers["Location"] == "/"


def test_a_login_form_sent_when_already_logged_in_still_goes_to_next(alice_client):
    """Logged in meanwhile in another tab, the old login page still leads where it promised."""
    form = {"username": "alice", "password": PASSWORD}
    response = alice_client.submit("/auth/login?next=/user/alice", form, page="/explore")
    assert response.headers["Location"] == "/user/alice"
    assert alice_client.get("/auth/login?next=//evil.example").headers["Location"] == "/"


def test_logout_is_post_only(alice_client):
    assert alice_client.get("/auth/logout").status_code == 405
    response = alice_client.submit("/auth/logout", page="/")
    assert response.headers["Location"] == "/auth/login"
    assert alice_client.get("/").status_code == 302


def test_logout_without_csrf_token_is_refused(alice_client):
    response = alice_client.post("/auth/logout")
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert alice_client.get("/").status_code == 200


def test_changing_the_password_ends_other_sessions(app, alice, login, db):
    login("alice")
    other = FormClient(app.test_client())
    assert (
        other.submit("/auth/login", {"username": "alice", "password": PASSWORD}).status_code == 302
    )
    assert other.get("/").status_code == 200
    alice.set_password("a brand new password")
    db.session.commit()
    response = other.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_a_forged_session_key_is_refused(app, alice, client):
    with client.client.session_transaction() as session:
        session["_user_id"] = f"{alice.id}:a-guessed-secret"
        session["_fresh"] = True
    assert client.get("/").status_code == 302
