"""Confirming one's email address: registration sends a link; until it is used, no posting."""

import sqlalchemy as sa

from app.models import Post, User, user_by_username
from tests.helpers import PASSWORD, SITE_URL

NEW_USER = {
    "username": "carol",
    "email": "Carol@Example.com",
    "password": "a long password",
    "password2": "a long password",
}


def register_and_log_in(client):
    """Register carol, which logs this client in as her."""
    response = client.submit("/auth/register", NEW_USER)
    assert response.headers["Location"] == "/"


def post_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Post))


def test_registration_emails_a_link_that_confirms_the_address(client, db, mailbox):
    register_and_log_in(client)
    message = mailbox.last()
    assert message["To"] == "carol@example.com"
    assert message["Subject"] == "Confirm your email address"
    link = mailbox.link(message)
    assert link.startswith("/account/confirm/")
    assert f'href="{SITE_URL}{link}"' in mailbox.html(message)

    # Until then: reading works, posting does not, and the post box says why.
    home = client.get("/").get_data(as_text=True)
    assert "Confirm your email address to start posting" in home
    assert "<textarea" not in home
    assert "/account/resend-confirmation" in home
    response = client.submit("/", {"post": "too early"}, page="/explore")
    assert response.status_code == 403
    assert "Confirm your email address before posting" in response.get_data(as_text=True)
    assert post_count(db) == 0
    assert client.get("/explore").status_code == 200

    # The link shows a button; the button confirms (a mail scanner's GET changes nothing).
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm carol@example.com" in page.get_data(as_text=True)
    assert not user_by_username("carol").is_confirmed
    response = client.submit(link, {})
    assert response.headers["Location"] == "/"
    db.session.expire_all()
    assert user_by_username("carol").is_confirmed
    assert "you can post now" in client.get("/").get_data(as_text=True)

    response = client.submit("/", {"post": "confirmed at last"})
    assert response.status_code == 302
    assert post_count(db) == 1


def test_the_link_works_without_being_logged_in(client, db, mailbox):
    client.submit("/auth/register", NEW_USER)
    response = client.submit(mailbox.link(), {})
    assert response.status_code == 302
    db.session.expire_all()
    assert user_by_username("carol").is_confirmed


def test_using_the_link_again_says_it_is_done(client, db, mailbox):
    client.submit("/auth/register", NEW_USER)
    link = mailbox.link()
    client.submit(link, {})
    response = client.get(link, follow_redirects=True)
    assert "already confirmed" in response.get_data(as_text=True)


def test_a_forged_link_is_a_400_page(client, mailbox):
    client.submit("/auth/register", NEW_USER)
    link = mailbox.link()
    for bad in (link[:-3] + "xyz", "/account/confirm/nonsense"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "link does not work" in response.get_data(as_text=True)


def test_an_expired_link_is_refused(app, client, db, mailbox):
    client.submit("/auth/register", NEW_USER)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    response = client.get(mailbox.link())
    assert response.status_code == 400
    assert not user_by_username("carol").is_confirmed


def test_a_link_for_another_address_confirms_nothing(client, db, mailbox):
    """A link sent to the old address must not confirm the new one."""
    client.submit("/auth/register", NEW_USER)
    link = mailbox.link()
    carol = user_by_username("carol")
    carol.email = "carol@elsewhere.example"
    db.session.commit()
    assert client.get(link).status_code == 400


def test_resend_sends_a_fresh_link(client, db, mailbox):
    register_and_log_in(client)
    response = client.submit("/account/resend-confirmation", {}, page="/")
    assert response.headers["Location"] == "/"
    assert len(mailbox.messages) == 2
    assert mailbox.messages[1]["To"] == "carol@example.com"
    assert "We sent a new confirmation link" in client.get("/").get_data(as_text=True)
    client.submit(mailbox.link(), {})
    db.session.expire_all()
    assert user_by_username("carol").is_confirmed


def test_resend_for_a_confirmed_user_sends_nothing(alice_client, mailbox):
    response = alice_client.submit("/account/resend-confirmation", {}, page="/account/")
    assert response.status_code == 302
    assert mailbox.messages == []
    assert "already confirmed" in alice_client.get("/").get_data(as_text=True)


def test_resend_needs_login_and_post(client, alice):
    assert client.get("/account/resend-confirmation").status_code == 405
    response = client.submit("/account/resend-confirmation", {}, page="/auth/login")
    assert response.headers["Location"].startswith("/auth/login")


def test_registration_succeeds_when_the_email_cannot_be_sent(app, client, db, mailbox):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    response = client.submit("/auth/register", NEW_USER, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "could not send the email that confirms your address" in page
    assert db.session.scalar(sa.select(User).where(User.username == "carol")) is not None


def test_resend_failure_asks_to_try_again(app, client, mailbox):
    register_and_log_in(client)
    app.config["MAIL_PORT"] = 1
    response = client.submit("/account/resend-confirmation", {}, page="/", follow_redirects=True)
    assert response.status_code == 200
    assert "could not send the email just now. Please try again" in response.get_data(as_text=True)


def test_unconfirmed_make_user_cannot_post(client, make_user, login, db):
    make_user("dave", confirmed=False)
    login("dave", PASSWORD)
    assert client.submit("/", {"post": "hi"}).status_code == 403
    assert post_count(db) == 0
