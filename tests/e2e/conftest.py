"""Fixtures for the browser tests: a live Chirp server and Debian's Chromium driven by Playwright.

The server is a real WSGI server (werkzeug, threaded) on 127.0.0.1 at a free port, with CSRF on,
serving a database of its own that the migrations build. Every test starts from empty tables and
seeds what it needs through the models. Every page a test opens is watched: a request to another
host, a server error, a failed asset, a JavaScript error or a console error fails the test.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app import create_app
from app.extensions import db
from app.models import Post, Report, User, like, record_action
from app.models.types import utcnow
from app.web.memo import clear_all
from tests.e2e.helpers import DESKTOP, SCREENSHOTS, PageProblems, watch
from tests.helpers import PASSWORD, TEST_DATABASE_URL, TestConfig, empty_all_tables

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium as root in a sandbox without network: no sandbox, no GPU, and none of the
# background services that would try (and fail) to reach Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Generous waits: the machine running the suite may be busy with other work.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


def pytest_terminal_summary(terminalreporter) -> None:
    """Tell the reviewer where the screenshots of this run are."""
    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"Browser screenshots for review: {SCREENSHOTS} ({len(shots)})")


class QuietRequestHandler(WSGIRequestHandler):
    """Keeps the per-request access log out of the test output (errors are still logged)."""

    def log_request(self, code="-", size="-") -> None:
        """Say nothing about ordinary requests."""


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> Iterator[str]:
    """A database for the live server alone.

    On the PostgreSQL pass (``TEST_DATABASE_URL`` names a server) the journeys run on
    PostgreSQL too, in a database of their own created on that server: the unit tests empty and
    rebuild ``TEST_DATABASE_URL``'s database under their own fixtures, which must not meet the
    live server's connections. Otherwise it is a SQLite file (an in-memory database cannot be
    shared by the server's threads).
    """
    url = sa.make_url(TEST_DATABASE_URL)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'chirp.db'}"
        return
    name = f"{url.database}_e2e"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def live_app(e2e_database_url) -> Iterator[Flask]:
    """The app the live server runs, its schema built by the migrations."""

    class LiveConfig(TestConfig):
        TESTING = False  # errors become the site's 500 page, as in production
        WTF_CSRF_ENABLED = True
        # As in production, only SITE_URL's host and these are served: the live server's
        # address (whatever its port). No journey follows an emailed link to SITE_URL.
        TRUSTED_HOSTS = ["127.0.0.1"]
        SQLALCHEMY_DATABASE_URI = e2e_database_url

    app = create_app(LiveConfig)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def buffered(app: Flask):
    """WSGI middleware that reads each response whole and closes it before sending.

    When a test ends while the browser is still fetching (say a stylesheet), the browser hangs
    up and werkzeug's development server never closes the response, leaving a static file open:
    a ResourceWarning, which this suite turns into an error. Responses here are small.
    """

    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return wsgi


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` from a real HTTP server in a background thread; yields its base URL."""
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, buffered(app), threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="chirp-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """Base URL of a real HTTP server running the app in a background thread."""
    with serving(live_app) as url:
        yield url


@pytest.fixture
def development_server(tmp_path) -> Iterator[str]:
    """Base URL of Chirp as ``flask run`` serves a fresh development checkout: debug mode, no
    mail server (so emails go to the development outbox), a new SQLite database built by the
    migrations, CSRF and everything else as in production."""

    class DevelopmentConfig(TestConfig):
        TESTING = False
        DEBUG = True
        WTF_CSRF_ENABLED = True
        MAIL_SERVER = ""
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'fresh.db'}"
        DEV_OUTBOX_DIR = str(tmp_path / "outbox")

    app = create_app(DevelopmentConfig)
    with app.app_context():
        upgrade()
    with serving(app) as url:
        # Email links are on SITE_URL, which debug mode takes to be `flask run`'s address
        # (port 5000); this server took a free port instead.
        app.config["SITE_URL"] = url
        yield url
    with app.app_context():
        db.engine.dispose()


class Seeder:
    """Creates data for a test directly through the models (fast, and no UI involved)."""

    def __init__(self, app: Flask):
        self.app = app

    def user(self, username: str, about_me: str | None = None) -> int:
        """Register ``username`` with the shared test password; returns the new id."""
        with self.app.app_context():
            user = User(username=username, email=f"{username.lower()}@example.com")
            user.about_me = about_me
            user.set_password(PASSWORD)
            # Where accounts must confirm their email before posting (the email-lifecycle
            # work), seeded people have done so, like the unit tests' ``make_user``.
            if hasattr(User, "email_confirmed_at"):
                user.email_confirmed_at = utcnow()
            db.session.add(user)
            db.session.commit()
            return user.id

    def posts(self, user_id: int, bodies: list[str], ago: timedelta = timedelta(0)) -> list[int]:
        """Posts by ``user_id``, the last of ``bodies`` the newest, written ``ago`` and earlier.

        Returns the new posts' ids, in the order of ``bodies``.
        """
        with self.app.app_context():
            now = utcnow() - ago
            count = len(bodies)
            posts = [
                Post(body=body, user_id=user_id, timestamp=now - timedelta(minutes=count - 1 - i))
                for i, body in enumerate(bodies)
            ]
            db.session.add_all(posts)
            db.session.commit()
            return [post.id for post in posts]

    def reply(self, parent_id: int, user_id: int, body: str) -> int:
        """A reply by ``user_id`` to the post ``parent_id``; returns its id."""
        with self.app.app_context():
            reply = db.session.get(Post, parent_id).reply(db.session.get(User, user_id), body)
            db.session.commit()
            return reply.id

    def follow(self, follower_id: int, followed_id: int) -> None:
        """Make one user follow another."""
        with self.app.app_context():
            db.session.get(User, follower_id).follow(db.session.get(User, followed_id))
            db.session.commit()

    def like(self, user_id: int, post_id: int) -> None:
        """``user_id`` likes the post ``post_id``."""
        with self.app.app_context():
            like(db.session.get(User, user_id), db.session.get(Post, post_id))
            db.session.commit()

    def grant(self, user_id: int, role: str, reason: str = "seeded staff") -> None:
        """Give a user a role, with the audit log entry an admin's grant would leave."""
        with self.app.app_context():
            user = db.session.get(User, user_id)
            user.grant_role(role)
            record_action(None, "role.grant", user, f"{role}: {reason}")
            db.session.commit()

    def hide(self, post_id: int) -> None:
        """Hide a post, as a moderator would (by nobody in particular)."""
        with self.app.app_context():
            db.session.get(Post, post_id).hidden_at = utcnow()
            db.session.commit()

    def suspend(self, user_id: int) -> None:
        """Suspend an account, as a moderator would."""
        with self.app.app_context():
            db.session.get(User, user_id).suspended_at = utcnow()
            db.session.commit()

    def report(self, post_id: int, reporter_id: int, reason: str) -> int:
        """An open report on a post, waiting in the moderation queue; returns its id."""
        with self.app.app_context():
            report = Report(post_id=post_id, reporter_id=reporter_id, reason=reason)
            db.session.add(report)
            db.session.commit()
            return report.id


@pytest.fixture
def seed(live_app, live_server) -> Seeder:
    """Empty tables (and nothing an earlier test left in the server's memos, such as trending
    tags or suggestions, kept a minute), and a :class:`Seeder` to fill them."""
    with live_app.app_context():
        db.session.remove()
        empty_all_tables()
    clear_all(live_app)
    return Seeder(live_app)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/setup` (as root) to install it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def problems() -> PageProblems:
    """Problems seen by the test's pages (checked when the test ends)."""
    return PageProblems()


@pytest.fixture
def new_context(browser, live_server, problems) -> Iterator:
    """Factory of watched contexts: ``new_context(viewport=PHONE, color_scheme="dark")``."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("color_scheme", "light")
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        watch(context, live_server, problems)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    problems.assert_none()


@pytest.fixture
def page(new_context) -> Page:
    """A page in a fresh desktop-sized, light-mode browser context."""
    return new_context().new_page()
