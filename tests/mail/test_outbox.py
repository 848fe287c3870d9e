"""The development outbox: emails kept in debug mode without a mail server, listed at
/dev/outbox; in production (or with a mail server) the page does not exist at all."""

import re

import pytest

from app import create_app
from app.mail import outbox
from app.models import user_by_username
from tests.helpers import TestConfig

NEW_USER = {
    "username": "carol",
    "email": "carol@example.com",
    "password": "a long password",
    "password2": "a long password",
}
OUTBOX_LINK = '<a class="outbox-link" href="/dev/outbox">Open the development outbox</a>'


@pytest.mark.debug_mode
def test_registering_keeps_the_email_and_the_notices_link_to_it(client, db):
    response = client.submit("/auth/register", NEW_USER)
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Welcome to Chirp! You are logged in." in home
    # The flash and the note in place of the post box both lead to the outbox.
    assert home.count(OUTBOX_LINK) == 2

    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "Confirm your email address" in page
    assert "To carol@example.com" in page
    link = re.search(r'<a href="(https?://[^/"]+(/account/confirm/[^"]+))"', page)
    assert link, "the confirmation link is clickable"
    assert client.submit(link.group(2), {}).headers["Location"] == "/"
    assert user_by_username("carol").is_confirmed


@pytest.mark.debug_mode
def test_the_outbox_lists_the_newest_first_and_keeps_a_few(client, alice, monkeypatch):
    monkeypatch.setattr(outbox, "KEEP", 2)
    client.submit("/account/reset-password", {"email": "first@example.com"})
    client.submit("/account/reset-password", {"email": "second@example.com"})
    client.submit("/account/reset-password", {"email": "alice@example.com"})
    page = client.get("/dev/outbox").get_data(as_text=True)
    order = re.findall(r"To (\S+@example\.com)", page)
    assert order == ["alice@example.com", "second@example.com"]


@pytest.mark.debug_mode
def test_an_empty_outbox_says_how_to_fill_it(client):
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "No emails yet." in page


def test_without_debug_mode_there_is_no_outbox(client, db, app, tmp_path):
    # The test app is not in debug mode: the email is only logged, nothing is kept.
    app.config["DEV_OUTBOX_DIR"] = str(tmp_path / "outbox")
    client.submit("/auth/register", NEW_USER)
    assert "outbox" not in client.get("/").get_data(as_text=True)
    assert client.get("/dev/outbox").status_code == 404
    assert not (tmp_path / "outbox").exists()


class ProductionConfig(TestConfig):
    """What gunicorn runs: neither testing nor debug, no mail server configured."""

    TESTING = False
    DEBUG = False
    SECRET_KEY = "a-private-production-key"
    SITE_URL = "http://localhost"
    MAIL_SERVER = ""


class DebugWithMailServerConfig(TestConfig):
    """A developer who set MAIL_SERVER wants real email, not the outbox."""

    DEBUG = True
    MAIL_SERVER = "mail.example.com"


@pytest.mark.parametrize("config", [ProductionConfig, DebugWithMailServerConfig])
def test_the_outbox_is_not_even_registered(config):
    app = create_app(config)
    assert not outbox.outbox_enabled(app)
    assert "dev.outbox_page" not in app.view_functions
    assert not any(rule.rule.startswith("/dev") for rule in app.url_map.iter_rules())
    assert app.test_client().get("/dev/outbox").status_code == 404
