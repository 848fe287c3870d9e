"""Resetting a forgotten password by email, and changing a known one."""

import pytest

from app.models import user_by_username
from tests.helpers import PASSWORD, SITE_URL, FormClient

NEW = "a fresh new password"


def log_in(client, username="alice", password=PASSWORD):
    return client.submit("/auth/login", {"username": username, "password": password})


def new_client(app, username="alice", password=PASSWORD) -> FormClient:
    """Another browser, logged in."""
    other = FormClient(app.test_client())
    assert log_in(other, username, password).status_code == 302
    return other


def ask_for_reset(client, address="alice@example.com"):
    return client.submit("/account/reset-password", {"email": address}, follow_redirects=True)


def test_login_page_offers_a_reset(client):
    assert "/account/reset-password" in client.get("/auth/login").get_data(as_text=True)


def test_reset_by_email_link(app, client, alice, mailbox, db):
    elsewhere = new_client(app)
    page = ask_for_reset(client, "  ALICE@example.com ").get_data(as_text=True)
    assert "We sent an email to alice@example.com" in page

    message = mailbox.last()
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Reset your Chirp password"
    assert "1 hour" in mailbox.text(message)
    link = mailbox.link(message)
    assert link.startswith("/account/reset-password/")
    assert f'href="{SITE_URL}{link}"' in mailbox.html(message)

    form = client.get(link)
    assert form.status_code == 200
    assert "For the account <strong>alice</strong>" in form.get_data(as_text=True)
    response = client.submit(link, {"password": NEW, "password2": NEW})
    assert response.headers["Location"] == "/auth/login"

    notice = mailbox.last()
    assert (notice["To"], notice["Subject"]) == (
        "alice@example.com",
        "Your Chirp password was changed",
    )
    assert "/account/reset-password" in mailbox.text(notice)
    assert log_in(client, password=PASSWORD).status_code == 200  # the old one is refused
    assert log_in(client, password=NEW).status_code == 302
    # Every session from before the reset has ended.
    assert elsewhere.get("/").headers["Location"].startswith("/auth/login")


def test_a_reset_link_works_once(client, alice, mailbox):
    ask_for_reset(client)
    link = mailbox.link()
    client.submit(link, {"password": NEW, "password2": NEW})
    response = client.get(link)
    assert response.status_code == 400
    assert "link does not work" in response.get_data(as_text=True)
    response = client.submit(
        link, {"password": "another one", "password2": "another one"}, page="/auth/login"
    )
    assert response.status_code == 400
    assert user_by_username("alice").check_password(NEW)


def test_a_newer_password_voids_older_links(client, alice, mailbox, db):
    ask_for_reset(client)
    link = mailbox.link()
    alice.set_password("changed meanwhile")
    db.session.commit()
    assert client.get(link).status_code == 400


def test_a_new_address_voids_links_sent_to_the_old_one(app, client, alice, mailbox, db):
    """People move their account away from a mailbox they no longer trust: whoever reads it must
    not be able to take the account back with a reset link sent there before the move."""
    ask_for_reset(client)
    link = mailbox.link()
    browser = new_client(app)
    browser.submit("/account/email", {"email": "alice@new.example", "password": PASSWORD})
    browser.submit(mailbox.link(), {})
    db.session.expire_all()
    assert user_by_username("alice").email == "alice@new.example"
    assert client.get(link).status_code == 400
    client.submit(link, {"password": NEW, "password2": NEW}, page="/auth/login")
    db.session.expire_all()
    assert user_by_username("alice").check_password(PASSWORD)


def test_an_expired_reset_link_is_refused(app, client, alice, mailbox):
    ask_for_reset(client)
    app.config["RESET_TOKEN_MAX_AGE"] = -1
    assert client.get(mailbox.link()).status_code == 400


def test_a_tampered_reset_link_is_refused(client, alice, mailbox):
    ask_for_reset(client)
    link = mailbox.link()
    assert client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 400


def test_unknown_address_gets_the_same_answer_and_an_email_saying_so(client, alice, mailbox):
    known = ask_for_reset(client, "alice@example.com")
    unknown = ask_for_reset(client, "nobody@example.com")
    assert known.request.path == unknown.request.path == "/auth/login"
    flash = 'class="flash flash-info" role="status">We sent an email to {}. Follow the link'
    assert flash.format("alice@example.com") in known.get_data(as_text=True)
    assert flash.format("nobody@example.com") in unknown.get_data(as_text=True)
    message = mailbox.last()
    assert message["To"] == "nobody@example.com"
    assert "No account uses this address" in mailbox.text(message)
    assert "/account/reset-password/" not in mailbox.text(message)
    assert "/account/reset-password/" not in mailbox.html(message)


def test_send_failure_asks_to_try_again_and_keeps_the_address(app, client, alice, mailbox):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    response = client.submit("/account/reset-password", {"email": "alice@example.com"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "could not send the email just now. Please try again" in page
    assert 'value="alice@example.com"' in page


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("short", "short", "Use 8 to 128 characters."),
        (NEW, "something else", "The passwords do not match."),
        ("x" * 129, "x" * 129, "Use 8 to 128 characters."),
        ("", "", "This field is required."),
    ],
)
def test_reset_form_rejects_bad_passwords(client, alice, mailbox, password, password2, message):
    ask_for_reset(client)
    link = mailbox.link()
    response = client.submit(link, {"password": password, "password2": password2})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_by_username("alice").check_password(PASSWORD)


def test_reset_form_refuses_the_username_as_password(client, make_user, mailbox):
    make_user("longername")
    ask_for_reset(client, "longername@example.com")
    link = mailbox.link()
    response = client.submit(link, {"password": "LongerName", "password2": "LongerName"})
    assert "must not be your username" in response.get_data(as_text=True)


def test_reset_confirms_an_unconfirmed_address(client, make_user, mailbox, db):
    make_user("dave", confirmed=False)
    ask_for_reset(client, "dave@example.com")
    client.submit(mailbox.link(), {"password": NEW, "password2": NEW})
    db.session.expire_all()
    assert user_by_username("dave").is_confirmed


def test_logged_in_users_are_sent_to_change_password(alice_client):
    response = alice_client.get("/account/reset-password")
    assert response.headers["Location"] == "/account/password"


def test_change_password_keeps_this_session_and_ends_others(app, alice_client, alice, db, mailbox):
    elsewhere = new_client(app)
    data = {"current_password": PASSWORD, "password": NEW, "password2": NEW}
    response = alice_client.submit("/account/password", data)
    assert response.headers["Location"] == "/account/"
    assert alice_client.get("/").status_code == 200
    assert elsewhere.get("/").headers["Location"].startswith("/auth/login")
    db.session.expire_all()
    assert user_by_username("alice").check_password(NEW)
    assert mailbox.last()["Subject"] == "Your Chirp password was changed"


def test_change_password_renews_the_remember_me_cookie(app, client, alice):
    response = client.submit(
        "/auth/login", {"username": "alice", "password": PASSWORD, "remember_me": "y"}
    )
    old_cookie = client.get_cookie("remember_token").value
    data = {"current_password": PASSWORD, "password": NEW, "password2": NEW}
    response = client.submit("/account/password", data)
    assert response.status_code == 302
    new_cookie = client.get_cookie("remember_token").value
    assert new_cookie != old_cookie
    # A browser that only has the new remember-me cookie (its session ended) is still logged in.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", new_cookie)
    assert fresh.get("/").status_code == 200
    stale = app.test_client()
    stale.set_cookie("remember_token", old_cookie)
    assert stale.get("/").status_code == 302


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        (
            {"current_password": "wrong password", "password": NEW, "password2": NEW},
            "That is not your current password.",
        ),
        (
            {"current_password": PASSWORD, "password": NEW, "password2": "other"},
            "The passwords do not match.",
        ),
        ({"current_password": PASSWORD, "password": "short", "password2": "short"}, "Use 8 to 128"),
        ({"current_password": "", "password": NEW, "password2": NEW}, "This field is required."),
    ],
)
def test_change_password_rejects_bad_input(alice_client, alice, db, data, field_error):
    response = alice_client.submit("/account/password", data)
    assert response.status_code == 200
    assert field_error in response.get_data(as_text=True)
    db.session.expire_all()
    assert user_by_username("alice").check_password(PASSWORD)


def test_change_password_needs_login(client):
    assert client.get("/account/password").headers["Location"].startswith("/auth/login")


def test_password_change_stands_when_the_notice_cannot_be_sent(app, alice_client, db, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    data = {"current_password": PASSWORD, "password": NEW, "password2": NEW}
    assert alice_client.submit("/account/password", data).status_code == 302
    db.session.expire_all()
    assert user_by_username("alice").check_password(NEW)
    assert "Could not send email 'Your Chirp password was changed'" in caplog.text
