"""The database out of reach: a 503 page with ``Retry-After`` and every security header,
rendered without the database, while the pages that need none keep working.

For real, on the database of the pass: on SQLite the database file's directory is moved away;
on PostgreSQL a server of the test's own is stopped (and started again).
"""

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from app.models import User
from app.models.types import utcnow
from tests.helpers import (
    IN_MEMORY,
    PASSWORD,
    Browser,
    FormClient,
    PostgresServer,
    TestConfig,
    assert_secure_headers,
    csrf_token_from,
    gunicorn,
)

# What a logged-in page shows that a page rendered without the database must not.
ACCOUNT_LINKS = ('href="/account/"', ">Log out<", ">Log in<")


def add_user(username: str) -> None:
    """Create a confirmed user with :data:`PASSWORD`."""
    user = User(username=username, email=f"{username}@example.com", email_confirmed_at=utcnow())
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()


@dataclass
class Outage:
    """An app on a database that :meth:`lose` takes away and :meth:`restore` gives back, with a
    client logged in as alice."""

    app: Flask
    alice: FormClient
    lose: Callable[[], None]
    restore: Callable[[], None]


@pytest.fixture
def outage(tmp_path) -> Iterator[Outage]:
    """On SQLite, a database file whose directory is moved away; on PostgreSQL, a server of the
    test's own that is stopped.

    No app context stays pushed between requests: each request has its own, and its own
    database session, ended with it, as in production.
    """
    server = None
    if IN_MEMORY:
        here, away = tmp_path / "data", tmp_path / "moved"
        here.mkdir()
        url = f"sqlite:///{here / 'chirp.db'}"

        # An open SQLite connection reads on from a moved file: close the pooled ones, so the
        # next request must open it (as a new worker process would).
        def lose() -> None:
            shutil.move(here, away)
            with app.app_context():
                db.engine.dispose()

        def restore() -> None:
            shutil.move(away, here)
            with app.app_context():
                db.engine.dispose()

    else:
        server = PostgresServer()
        server.create()
        url, lose, restore = server.url, server.stop, server.start

    class OutageConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        PROPAGATE_EXCEPTIONS = False  # as in production: unhandled errors become the 500 page

    app = create_app(OutageConfig)
    try:
        with app.app_context():
            db.create_all()
            add_user("alice")
        alice = FormClient(app.test_client())
        response = alice.submit("/auth/login", {"username": "alice", "password": PASSWORD})
        assert response.status_code == 302
        yield Outage(app, alice, lose, restore)
        with app.app_context():
            db.engine.dispose()
    finally:
        if server is not None:
            server.remove()


def assert_outage_page(response, status: int = 503) -> str:
    """A page of the site for an outage: the status, every security header, and nobody shown as
    logged in (finding out who would need the database). Returns the page."""
    assert response.status_code == status
    assert_secure_headers(response)
    page = response.get_data(as_text=True)
    assert 'class="site-header"' in page
    for link in ACCOUNT_LINKS:
        assert link not in page
    if status == 503:
        assert response.headers["Retry-After"] == "30"
        assert "<h1>Back in a moment</h1>" in page
        assert "cannot reach its database" in page
    return page


def test_a_logged_in_page_without_the_database_is_a_503(outage, caplog):
    assert outage.alice.get("/").status_code == 200
    outage.lose()
    page = assert_outage_page(outage.alice.get("/"))
    assert "alice" not in page
    assert "The database cannot be reached" in caplog.text
    outage.restore()
    response = outage.alice.get("/")
    assert response.status_code == 200  # still logged in: the outage ended nobody's session
    assert ">alice<" in response.get_data(as_text=True)


def test_pages_that_need_no_database_keep_working(outage):
    outage.lose()
    anonymous = outage.app.test_client()
    for browser, path in [
        (anonymous, "/healthz"),
        (anonymous, "/auth/login"),
        (anonymous, "/static/css/chirp.css"),
        (outage.alice, "/static/js/chirp.js"),
        (outage.alice, "/avatar/1/48.svg"),
    ]:
        response = browser.get(path)
        response.close()  # static files are streamed from an open file
        assert response.status_code == 200, path
        assert_secure_headers(response)


def test_a_post_sent_while_the_database_is_down_is_a_503(outage):
    token = csrf_token_from(outage.alice.get("/").get_data(as_text=True))
    outage.lose()
    response = outage.alice.post("/", data={"csrf_token": token, "post": "into the void"})
    assert_outage_page(response)


def test_an_expired_form_while_the_database_is_down_is_a_503(outage):
    """The expired-token handler looks the user up to send the form back, and fails too: the
    failure of an error handler is still answered as an outage, not the server's bare 500."""
    outage.lose()
    response = outage.alice.post(
        "/", data={"csrf_token": "stale", "post": "kept?"}, headers={"Origin": "http://localhost"}
    )
    assert_outage_page(response)


def test_an_error_page_when_the_database_went_away_meanwhile(outage, monkeypatch, caplog):
    """A fault of ours after the user was loaded, with the database lost in between: the 500
    page cannot show the user (reloading them fails) and is rendered without them."""

    def broken():
        outage.lose()
        raise RuntimeError("boom")

    monkeypatch.setitem(outage.app.view_functions, "main.explore", broken)
    page = assert_outage_page(outage.alice.get("/explore"), status=500)
    assert "<h1>Something went wrong</h1>" in page
    assert "An error page could not load its user" in caplog.text


@pytest.mark.skipif(IN_MEMORY, reason="the PostgreSQL pass runs it (a server of its own)")
def test_under_gunicorn_a_stopped_postgresql_gives_503_pages(tmp_path):
    """As in production: two gunicorn workers, PostgreSQL stopped under them, then started."""
    server = PostgresServer()
    try:
        server.create()

        class SetupConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = server.url

        setup = create_app(SetupConfig)
        with setup.app_context():
            db.create_all()
            add_user("alice")
            db.session.remove()
            db.engine.dispose()
        with gunicorn({"DATABASE_URL": server.url, "RATELIMIT_ENABLED": "0"}, tmp_path) as site:
            alice = Browser(site.url)
            login = alice.submit("/auth/login", {"username": "alice", "password": PASSWORD})
            assert login.status == 302
            assert alice.get("/").status == 200
            server.stop()
            anonymous = Browser(site.url)
            # Until each worker has answered: the port opens before the workers have booted,
            # and on a loaded machine the second can take seconds more (40 quick tries once
            # met only the first).
            workers, deadline = set(), time.monotonic() + 60
            while time.monotonic() < deadline:
                answer = alice.get("/")
                assert answer.status == 503
                assert answer.headers["Retry-After"] == "30"
                assert_secure_headers(answer)
                assert "<h1>Back in a moment</h1>" in answer.text
                for path in ("/healthz", "/auth/login", "/static/css/chirp.css"):
                    assert anonymous.get(path).status == 200, path
                workers.add(answer.headers["X-Worker-Pid"])
                if len(workers) == 2:
                    break
            assert len(workers) == 2
            server.start()
            assert alice.get("/").status == 200  # the workers reconnect by themselves
            assert "Error handling request" not in site.log()  # nothing escaped to gunicorn
    finally:
        server.remove()
