"""Private responses stay out of caches: ``Cache-Control: private, no-store`` on every page for
a logged-in person and every response that sets a cookie (issue 15, finding 4)."""

import re

import pytest

from tests.helpers import PASSWORD, csrf_token_from

PRIVATE = "private, no-store"


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("user", "/"),
        ("user", "/account/"),
        ("user", "/explore"),
        ("user", "/user/user"),
        ("admin", "/admin/audit"),
        ("moderator", "/moderation/"),
        ("user", "/no-such-page"),
    ],
)
def test_pages_for_a_logged_in_person_are_private(as_persona, persona, path):
    browser = as_persona(persona)
    # The first page after logging in makes the login's new CSRF secret: a cookie. Not this one.
    browser.get("/")
    response = browser.get(path)
    assert response.status_code == (404 if path == "/no-such-page" else 200)
    assert response.headers["Cache-Control"] == PRIVATE
    assert "Set-Cookie" not in response.headers  # private for who asks, not for a cookie


def test_a_login_that_sets_cookies_is_private(client, alice):
    response = client.submit(
        "/auth/login", {"username": "alice", "password": PASSWORD, "remember_me": "y"}
    )
    assert response.status_code == 302
    cookies = [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]
    assert {"session", "remember_token"} <= set(cookies)
    assert response.headers["Cache-Control"] == PRIVATE


def test_an_anonymous_page_that_sets_a_cookie_is_private(client):
    """The login form puts its CSRF token in a new session cookie."""
    response = client.get("/auth/login")
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == PRIVATE


def test_an_anonymous_page_without_a_cookie_keeps_what_it_had(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers
    assert "Cache-Control" not in response.headers


def test_an_anonymous_page_in_the_layout_sets_no_cookie_of_its_own(client):
    """The layout's kept fragments (the <head> links) are rendered on a process's first
    anonymous page too: that must not give the visitor a CSRF secret, and so a cookie."""
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Chirp" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "Cache-Control" not in response.headers


@pytest.mark.parametrize("logged_in", [False, True])
def test_static_files_and_avatars_stay_cacheable(client, alice, login, logged_in):
    if logged_in:
        login("alice")
    with client.get("/static/favicon.svg") as static:
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")
        assert "private" not in static.headers.get("Cache-Control", "")
    avatar = client.get(f"/avatar/{alice.id}/48.svg")
    assert avatar.headers["Cache-Control"] == "public, max-age=604800"


def test_a_write_that_sets_no_cookie_is_private_without_loading_its_user_again(
    alice_client, alice, bob, make_post, statements
):
    """A Like sent by chirp.js commits and sets no cookie: its answer is private because
    someone is logged in, asked of the user loaded for the request. Its columns, expired by
    the view's commit, are not read again for that (one statement more per such write)."""
    post = make_post(bob, "like me")
    token = csrf_token_from(alice_client.get("/").get_data(as_text=True))
    statements.clear()
    response = alice_client.post(
        f"/post/{post.id}/like", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == PRIVATE
    # The user's columns are read once: by the request's login (its session and user), not
    # again after the commit.
    user_first = re.compile(r'\s*SELECT "?user"?\.id,')
    assert len([s for s in statements if user_first.match(s)]) == 1
