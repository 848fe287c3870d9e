"""The site's own address: requests naming another host get a 400 page, and every link in an
email is on SITE_URL whatever host the request that sent it named (issue 15, finding 1)."""

import re
from pathlib import Path

import pytest

from app import create_app
from tests.helpers import PASSWORD, SITE_URL, TestConfig, csrf_token_from

APP = Path(__file__).resolve().parent.parent / "app"
EVIL = "evil.example"
FORGED = {"Host": EVIL}
# Another name the site answers to (added to TRUSTED_HOSTS by the tests that use it).
ALIAS = "alias.example"
HREF = re.compile(r'href="([^"]*)"')
WEB_ADDRESS = re.compile(r"https?://[^\s\"<>]+")
NEW = "a fresh new password"
EXTERNAL_URL_FOR = re.compile(r"\b_external\b")


def links_in(mailbox, message) -> list[str]:
    """Every web address in both parts of ``message``, and every link target of its HTML."""
    html = mailbox.html(message)
    return [*WEB_ADDRESS.findall(mailbox.text(message)), *WEB_ADDRESS.findall(html)] + [
        href for href in HREF.findall(html) if not href.startswith("http")
    ]


@pytest.mark.parametrize(
    "path", ["/", "/auth/login", "/account/reset-password", "/static/favicon.svg", "/no-such-page"]
)
def test_a_request_naming_another_host_gets_the_site_s_400_page(client, path):
    response = client.get(path, headers=FORGED)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This site does not answer to that host name." in page
    assert "<h1>That did not work</h1>" in page  # the site's layout, not a bare error
    assert EVIL not in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_logged_in_request_naming_another_host_gets_the_400_page(alice_client):
    response = alice_client.post("/", data={"post": "hi"}, headers=FORGED)
    assert response.status_code == 400
    assert "This site does not answer to that host name." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "host", ["chirp.example", "chirp.example:8443", "localhost", "127.0.0.1:5000"]
)
def test_the_site_s_own_host_and_loopback_in_tests_are_served(client, host):
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


def production_client(**settings):
    """A client of an app in production mode (neither debug nor testing)."""
    config = type("ProductionConfig", (TestConfig,), {"TESTING": False, **settings})
    return create_app(config).test_client()


def test_production_serves_only_the_site_s_host_and_the_extra_ones():
    client = production_client(TRUSTED_HOSTS=["10.0.0.7", ".internal.example"])
    for host in ("chirp.example", "10.0.0.7", "lb.internal.example"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
    for host in ("localhost", "127.0.0.1", "evil.example", "chirp.example.evil.example"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 400, host


def submit_naming(client, host: str, url: str, data: dict, page: str | None = None):
    """Send the form on ``page`` (default ``url``), got from the site, to ``url`` with ``Host:
    host``: what someone can do with their own browser's cookies and any HTTP client. (The test
    client keeps cookies to the host they came from, so they are copied to ``host`` first.)"""
    html = client.get(page or url).get_data(as_text=True)
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            client.set_cookie(name, cookie.value, domain=host)
    payload = {"csrf_token": csrf_token_from(html), **data}
    return client.post(url, data=payload, headers={"Host": host})


def test_a_reset_asked_for_with_a_forged_host_is_refused_and_mails_nothing(client, alice, mailbox):
    """The attack: the site's reset form sent naming the attacker's host. It used to mail
    alice http://evil.example/account/reset-password/<a valid token>."""
    response = submit_naming(
        client, EVIL, "/account/reset-password", {"email": "alice@example.com"}
    )
    assert response.status_code == 400
    assert "This site does not answer to that host name." in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_a_reset_asked_for_on_another_allowed_host_links_to_site_url(app, client, alice, mailbox):
    app.config["TRUSTED_HOSTS"] = [*app.config["TRUSTED_HOSTS"], EVIL]
    response = submit_naming(
        client, EVIL, "/account/reset-password", {"email": "alice@example.com"}
    )
    assert response.status_code == 302
    link = mailbox.link()  # fails unless the link is on SITE_URL
    assert link.startswith("/account/reset-password/")
    assert EVIL not in mailbox.text(mailbox.last())
    assert EVIL not in mailbox.html(mailbox.last())


def sent(response) -> None:
    """The form was accepted (and its email sent)."""
    assert response.status_code == 302, response.get_data(as_text=True)


def ask_for_reset(client, _mailbox):
    sent(submit_naming(client, ALIAS, "/account/reset-password", {"email": "alice@example.com"}))


def ask_for_reset_without_account(client, _mailbox):
    sent(submit_naming(client, ALIAS, "/account/reset-password", {"email": "nobody@example.com"}))


NEW_USER = {
    "username": "carol",
    "email": "carol@example.com",
    "password": "a long password",
    "password2": "a long password",
}


def register(client, _mailbox):
    sent(submit_naming(client, ALIAS, "/auth/register", NEW_USER))


def resend_confirmation(client, _mailbox):
    sent(client.submit("/auth/register", NEW_USER))  # which logs carol in
    sent(submit_naming(client, ALIAS, "/account/resend-confirmation", {}, page="/account/"))


def log_in_alice(client):
    sent(client.submit("/auth/login", {"username": "alice", "password": PASSWORD}))


def change_email(client, _mailbox):
    log_in_alice(client)
    data = {"email": "alice@new.example", "password": PASSWORD}
    sent(submit_naming(client, ALIAS, "/account/email", data))


def confirm_new_email(client, mailbox):
    """Sends the notice to the old address (it has no link: checks that it has none)."""
    log_in_alice(client)
    sent(client.submit("/account/email", {"email": "alice@new.example", "password": PASSWORD}))
    sent(submit_naming(client, ALIAS, mailbox.link(), {}))


def change_password(client, _mailbox):
    log_in_alice(client)
    data = {"current_password": PASSWORD, "password": NEW, "password2": NEW}
    sent(submit_naming(client, ALIAS, "/account/password", data))


EMAILS = [
    (ask_for_reset, "Reset your Chirp password"),
    (ask_for_reset_without_account, "Resetting your Chirp password"),
    (register, "Confirm your email address"),
    (resend_confirmation, "Confirm your email address"),
    (change_email, "Confirm your new email address"),
    (confirm_new_email, "Your Chirp email address was changed"),
    (change_password, "Your Chirp password was changed"),
]


@pytest.mark.parametrize(("send", "subject"), EMAILS, ids=[send.__name__ for send, _ in EMAILS])
def test_every_email_links_only_to_site_url(app, client, alice, mailbox, send, subject):
    """Each kind of email, sent by a request naming another host the site answers to."""
    app.config["TRUSTED_HOSTS"] = [*app.config["TRUSTED_HOSTS"], ALIAS]
    send(client, mailbox)
    message = mailbox.last()
    assert message["Subject"] == subject
    for link in links_in(mailbox, message):
        assert link.startswith(f"{SITE_URL}/"), f"{link} in {subject!r} is not on {SITE_URL}"
    if subject != "Your Chirp email address was changed":
        assert mailbox.link(message)  # the one link, on SITE_URL


def test_no_code_builds_links_from_the_request_host():
    """Absolute links come from site_url_for (app/urls.py); url_for(..., _external=True) takes
    the host from the request, which the client chooses."""
    offenders = [
        str(path.relative_to(APP))
        for path in APP.rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and EXTERNAL_URL_FOR.search(path.read_text())
    ]
    assert offenders == []


def test_a_site_url_with_a_path_prefixes_the_links(app, client, alice, mailbox):
    """A site served under a path (SCRIPT_NAME, e.g. behind a proxy's prefix)."""
    app.config["SITE_URL"] = "https://example.org/chirp"
    mailbox.site_url = "https://example.org/chirp"
    sent(client.submit("/account/reset-password", {"email": "alice@example.com"}))
    assert mailbox.link().startswith("/account/reset-password/")
