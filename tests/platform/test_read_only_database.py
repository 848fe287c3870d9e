"""A database that refuses writes (a read-only replica, a maintenance window, a full disk):
pages go on, read-only, with a banner; a refused write is a 503 that keeps what was typed.

For real, on the database of the pass: SQLite itself refuses (``PRAGMA query_only``), and so
does PostgreSQL (``default_transaction_read_only`` on the database, as on a hot standby).
"""

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from app.errors.handlers import READ_ONLY_FORM_MESSAGE, READ_ONLY_REFUSAL
from app.models import Post, User, home_feed_horizon
from app.models.types import utcnow
from app.web.outages import optional_write
from tests.helpers import FormClient, assert_secure_headers, csrf_token_from

BANNER = "Chirp is read-only for a moment: you can read but not post."


@pytest.fixture
def read_only(app, db) -> Iterator[Callable[[], None]]:
    """``read_only()`` makes the test's database refuse every write from then on."""
    engine = db.engine
    admin = None
    if engine.dialect.name == "sqlite":
        # In-memory SQLite is one connection that every session shares.
        def switch(on: bool) -> None:
            db.session.execute(sa.text(f"PRAGMA query_only = {'ON' if on else 'OFF'}"))
            db.session.commit()

    else:
        # Set on the database from another one: it holds for every new session of this one.
        admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        name = engine.dialect.identifier_preparer.quote(engine.url.database)

        def switch(on: bool) -> None:
            setting = "SET default_transaction_read_only = on" if on else "RESET ALL"
            with admin.connect() as connection:
                connection.execute(sa.text(f"ALTER DATABASE {name} {setting}"))
            db.session.remove()
            engine.dispose()  # the pooled sessions began before the setting

    yield lambda: switch(True)
    switch(False)
    if admin is not None:
        admin.dispose()


@pytest.fixture
def alice_seen_long_ago(alice, db) -> User:
    """Alice, last seen an hour ago: her next page writes ``last_seen``."""
    alice.last_seen = utcnow() - timedelta(hours=1)
    db.session.commit()
    return alice


def token_on(client: FormClient, url: str) -> str:
    """The CSRF token of the form on ``url`` (fetched before the database turns read-only)."""
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_pages_go_on_with_a_banner_when_the_last_seen_write_is_refused(
    alice_client, alice_seen_long_ago, make_post, read_only, db, caplog
):
    make_post(alice_seen_long_ago, "written before the maintenance")
    seen = alice_seen_long_ago.last_seen
    read_only()
    for url in ("/", "/explore", "/user/alice", "/account/"):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert BANNER in page
        assert ">alice<" in page  # still logged in, the navigation as usual
    assert "written before the maintenance" in alice_client.get("/").get_data(as_text=True)
    assert "Could not note when the user was last seen" in caplog.text
    assert db.session.scalar(sa.select(User.last_seen)) == seen


def test_a_post_the_database_refuses_is_a_503_that_keeps_the_text(
    alice_client, alice_seen_long_ago, read_only, db
):
    token = token_on(alice_client, "/")
    read_only()
    response = alice_client.post("/", data={"csrf_token": token, "post": "a thought to keep"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert_secure_headers(response)
    page = response.get_data(as_text=True)
    assert "a thought to keep</textarea>" in page  # the post box, as it was sent
    assert READ_ONLY_FORM_MESSAGE in page
    assert BANNER in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_a_post_refused_without_any_side_write_first_is_a_503_too(alice_client, read_only):
    """Alice was seen a moment ago, so nothing was written before the post: the post itself
    meets the refusal, and still gets the form back rather than a 500."""
    token = token_on(alice_client, "/edit_profile")
    read_only()
    response = alice_client.post(
        "/edit_profile", data={"csrf_token": token, "username": "alice", "about_me": "kept"}
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "kept</textarea>" in page
    assert READ_ONLY_FORM_MESSAGE in page


def test_writes_without_a_form_to_keep_get_a_clear_503_page(
    app, alice_client, bob, client_for, read_only
):
    token = token_on(alice_client, "/user/bob")
    registration = FormClient(app.test_client())
    registration_token = token_on(registration, "/auth/register")
    read_only()
    follow = alice_client.post("/follow/bob", data={"csrf_token": token})
    register = registration.post(
        "/auth/register",
        data={
            "csrf_token": registration_token,
            "username": "carol",
            "email": "carol@example.com",
            "password": "a long password",
            "password2": "a long password",
        },
    )
    for response in (follow, register):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert_secure_headers(response)
        page = response.get_data(as_text=True)
        assert "<h1>Back in a moment</h1>" in page
        assert READ_ONLY_REFUSAL in page
        assert BANNER in page


def test_any_failed_write_on_the_side_is_rolled_back_and_logged(app, alice, db, caplog):
    """Not only a read-only database: whatever makes a write on the side fail (here a unique
    constraint), the request goes on with a working session; only a refusal to write shows the
    read-only banner."""
    with app.test_request_context("/"):
        with optional_write("make a second alice"):
            db.session.add(User(username="Alice", email="other@example.com"))
            db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
        assert not g.get("database_read_only")
    assert "Could not make a second alice" in caplog.text


def test_a_home_feed_the_database_will_not_build_leaves_the_page_read_from_the_posts(
    alice_client, alice, bob, make_post, read_only, db, caplog
):
    """A reader without a home feed (after ``flask fake``) gets it built on their first home
    visit, a write: refused, the page is read from the posts, with the banner."""
    alice.follow(bob)
    db.session.commit()
    make_post(bob, "written before the maintenance")
    alice_id = alice.id  # PostgreSQL's switch ends the session (alice is detached after)
    db.session.execute(sa.delete(home_feed_horizon).where(home_feed_horizon.c.user_id == alice_id))
    db.session.commit()
    read_only()
    response = alice_client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "written before the maintenance" in page
    assert BANNER in page
    assert "Could not build the home feed" in caplog.text
    horizon = sa.select(home_feed_horizon).where(home_feed_horizon.c.user_id == alice_id)
    assert db.session.execute(horizon).all() == []
