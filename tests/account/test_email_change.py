"""Changing one's email address: it changes only once the new address confirms."""

import pytest

from app.models import user_by_email, user_by_username
from tests.helpers import PASSWORD, SITE_URL, FormClient


def ask_to_change(client, address="alice@new.example", password=PASSWORD):
    return client.submit("/account/email", {"email": address, "password": password})


def test_change_is_confirmed_at_the_new_address(alice_client, alice, db, mailbox):
    response = ask_to_change(alice_client, "  Alice@New.Example ")
    assert response.headers["Location"] == "/account/"
    assert "We sent a link to alice@new.example" in alice_client.get("/account/").get_data(
        as_text=True
    )
    assert user_by_username("alice").email == "alice@example.com"  # not yet

    message = mailbox.last()
    assert message["To"] == "alice@new.example"
    assert message["Subject"] == "Confirm your new email address"
    link = mailbox.link(message)
    assert link.startswith("/account/email/")
    assert f'href="{SITE_URL}{link}"' in mailbox.html(message)

    assert "Confirm alice@new.example" in alice_client.get(link).get_data(as_text=True)
    response = alice_client.submit(link, {})
    assert response.status_code == 302
    db.session.expire_all()
    alice = user_by_username("alice")
    assert alice.email == "alice@new.example"
    assert alice.is_confirmed
    assert "Your email address is now alice@new.example" in alice_client.get("/").get_data(
        as_text=True
    )
    notice = mailbox.last()
    assert notice["To"] == "alice@example.com"
    assert "now uses the email address alice@new.example" in mailbox.text(notice)
    # The link has done its job, and the old address belongs to nobody now.
    assert alice_client.get(link).status_code == 400
    assert user_by_email("alice@example.com") is None


def test_change_confirms_an_unconfirmed_user(client, make_user, login, db, mailbox):
    """Someone who mistyped their address at registration fixes it here."""
    make_user("dave", email="dave@typo.example", confirmed=False)
    login("dave")
    ask_to_change(client, "dave@example.com")
    client.submit(mailbox.link(), {})
    db.session.expire_all()
    dave = user_by_username("dave")
    assert (dave.email, dave.is_confirmed) == ("dave@example.com", True)


@pytest.mark.parametrize(
    ("address", "password", "message"),
    [
        ("bob@example.com", PASSWORD, "already registered"),
        ("BOB@example.com", PASSWORD, "already registered"),
        ("alice@example.com", PASSWORD, "already your address"),
        ("not an address", PASSWORD, "Enter a valid email address."),
        ("alice@new.example", "wrong password", "That is not your current password."),
        ("alice@new.example", "", "This field is required."),
    ],
)
def test_bad_changes_are_refused_and_keep_the_input(
    alice_client, bob, mailbox, address, password, message
):
    response = ask_to_change(alice_client, address, password)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{address.strip()}"' in page
    assert mailbox.messages == []


def test_address_taken_before_the_link_is_used(alice_client, make_user, db, mailbox):
    ask_to_change(alice_client)
    link = mailbox.link()
    make_user("eve", email="alice@new.example")
    response = alice_client.submit(link, {}, follow_redirects=True)
    assert "registered by someone else meanwhile" in response.get_data(as_text=True)
    db.session.expire_all()
    assert user_by_username("alice").email == "alice@example.com"


def test_a_second_change_voids_the_first_link(alice_client, db, mailbox):
    ask_to_change(alice_client, "first@new.example")
    first = mailbox.link()
    ask_to_change(alice_client, "second@new.example")
    alice_client.submit(mailbox.link(), {})
    assert alice_client.get(first).status_code == 400
    db.session.expire_all()
    assert user_by_username("alice").email == "second@new.example"


def test_a_new_password_voids_a_pending_change_link(app, alice_client, alice, db, mailbox):
    """Someone who learnt the password can move the account to their own address; once the
    owner changes the password, the link they were sent must stop working."""
    ask_to_change(alice_client, "thief@evil.example")
    link = mailbox.link()
    alice_client.submit(
        "/account/password",
        {"current_password": PASSWORD, "password": "a new secret", "password2": "a new secret"},
    )
    thief = FormClient(app.test_client())
    assert thief.get(link).status_code == 400
    db.session.expire_all()
    assert user_by_username("alice").email == "alice@example.com"


def test_expired_change_link_is_refused(app, alice_client, mailbox):
    ask_to_change(alice_client)
    app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"] = -1
    assert alice_client.get(mailbox.link()).status_code == 400


def test_send_failure_asks_to_try_again_and_keeps_the_input(app, alice_client, mailbox):
    app.config["MAIL_PORT"] = 1
    response = ask_to_change(alice_client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "could not send the email just now. Please try again" in page
    assert 'value="alice@new.example"' in page
