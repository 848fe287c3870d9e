"""What the tests share besides fixtures: the test settings, a client that fills forms as a
browser does, running requests at once, reading pages, and a real SMTP server.

Fixtures are in ``tests/conftest.py``; test modules import helpers from here only.
"""

import html
import os
import re
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import User
from app.models.types import utcnow
from config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
IN_MEMORY = TEST_DATABASE_URL == "sqlite://"
# Who can be on the other end of a request, for permission tests: nobody logged in, a plain
# user, a moderator, an admin, and someone suspended after logging in (whose session must end).
PERSONAS = ("anonymous", "user", "moderator", "admin", "suspended")
TIMEOUT = 10  # seconds; a request that waits longer has deadlocked


class TestConfig(Config):
    """Settings for the test suite."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = TEST_DATABASE_URL
    POSTS_PER_PAGE = 3
    # Real hashing, but cheap: the suite creates hundreds of users.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Tests that exercise limits switch them on themselves.
    RATELIMIT_ENABLED = False


class RateLimitedConfig(TestConfig):
    """Test settings with rate limits on, for tests marked ``rate_limits``."""

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


def empty_all_tables() -> None:
    """Delete every row and reset id sequences, so each test starts from nothing."""
    if db.engine.dialect.name == "postgresql":
        quote = db.engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(table.name) for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


# Pages and forms


CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
PERSON = re.compile(r'<li class="person">\s*<img [^>]*>\s*<a href="/user/(\w+)">')


def csrf_token_from(page: str) -> str:
    """The CSRF token embedded in a rendered page."""
    match = CSRF_FIELD.search(page)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def refused_form_page(response, message: str, *kept: str, max_wait: int = 3600) -> str:
    """The page of a form refused over a rate limit: a 429 with ``Retry-After`` that shows
    ``message`` and keeps each of the ``kept`` snippets of what was typed. Returns the page."""
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= max_wait
    page = response.get_data(as_text=True)
    assert f"{message}. Please wait" in page
    for snippet in kept:
        assert snippet in page
    return page


def people_on(page: str) -> list[str]:
    """The names listed on a page of people (followers, following, search), in order."""
    return PERSON.findall(page)


def link(page: str, rel: str) -> str | None:
    """The pager's ``prev`` or ``next`` URL, if there is one."""
    match = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
    return html.unescape(match.group(1)) if match else None


def walk(client, url: str, rel: str = "next") -> list[list[str]]:
    """Every page of people from ``url`` on, following the ``rel`` links: the names on each."""
    pages = []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(people_on(page))
        url = link(page, rel)
    return pages


class FormClient:
    """A test client that submits forms the way a browser does, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def submit(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        """GET ``page`` (default ``url``), then POST ``data`` to ``url`` with the page's token."""
        html = self.client.get(page or url).get_data(as_text=True)
        payload = {"csrf_token": csrf_token_from(html), **(data or {})}
        return self.client.post(url, data=payload, **kwargs)


# Requests at once


def at_once(*calls: Callable):
    """Run each call in a thread of its own; return their results in order, or raise the first
    exception one of them raised."""
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable) -> None:
        try:
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    if errors:
        raise errors[0]
    return results


def wait_before(monkeypatch, owner: type, name: str, step: Callable[[], object]) -> None:
    """Make ``owner.name`` run ``step`` first (in the calling request's thread)."""
    original = getattr(owner, name)

    def patched(self, *args, **kwargs):
        step()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, patched)


def add_users(*names: str) -> list[User]:
    """Create and commit users with :data:`PASSWORD` and a confirmed address."""
    users = [
        User(username=name, email=f"{name}@example.com", email_confirmed_at=utcnow())
        for name in names
    ]
    for user in users:
        user.set_password(PASSWORD)
    db.session.add_all(users)
    db.session.commit()
    return users


def logged_in(app, username: str) -> FormClient:
    """A fresh client logged in as ``username`` through the login form."""
    client = FormClient(app.test_client())
    response = client.submit("/auth/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# Email

LINK = re.compile(r"https?://\S+")


class Mailbox:
    """aiosmtpd handler: every delivered message, parsed, in order of arrival."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server, _session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def last(self) -> EmailMessage:
        """The newest message; fails the test if none arrived."""
        assert self.messages, "no email was delivered"
        return self.messages[-1]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text part."""
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The HTML part."""
        return message.get_body(("html",)).get_content()

    def link(self, message: EmailMessage | None = None) -> str:
        """The one link in a message's text part, as a path on this site."""
        message = message or self.last()
        links = LINK.findall(self.text(message))
        assert len(links) == 1, f"expected one link, found {links}"
        return links[0].removeprefix("http://localhost")


class LoopbackSMTP(Controller):
    """Listens on 127.0.0.1 on a free port (``port=0``), found once the server is up.

    ``ssl_context`` makes it speak TLS from the first byte; ``tls_context`` offers STARTTLS.
    """

    def __init__(self, handler, ssl_context=None, tls_context=None):
        smtp_options = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
        super().__init__(
            handler, hostname="127.0.0.1", port=0, ssl_context=ssl_context, **smtp_options
        )

    def _trigger_server(self):
        # The base class connects to self.port to check the server answers: learn it first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
