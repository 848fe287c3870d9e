"""Notices: "Your post is live!" comes back on the next page, once, from a cookie of its own
(app/web/notices.py), and posting leaves the session cookie as it was."""

import pytest

from app.web.notices import COOKIE_NAME, notify
from tests.helpers import csrf_token_from

POSTED = "Your post is live!"


def set_cookies(response) -> dict[str, str]:
    """The cookies ``response`` sets, by name: the whole ``Set-Cookie`` header of each."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_a_post_shows_its_notice_on_the_next_page_once(alice_client):
    alice_client.get("/")  # the login's first page makes its CSRF secret: a session cookie
    response = alice_client.submit("/", {"post": "hello"})
    assert response.status_code == 302
    cookies = set_cookies(response)
    assert list(cookies) == [COOKIE_NAME]  # the session cookie is not signed again
    assert "HttpOnly" in cookies[COOKIE_NAME]
    assert "SameSite=Lax" in cookies[COOKIE_NAME]
    assert response.headers["Cache-Control"] == "private, no-store"

    shown = alice_client.get("/")
    assert shown.get_data(as_text=True).count(POSTED) == 1
    assert '<p class="flash flash-success" role="status">Your post is live!</p>' in (
        shown.get_data(as_text=True)
    )
    assert "Max-Age=0" in set_cookies(shown)[COOKIE_NAME]  # deleted as it is shown

    again = alice_client.get("/")
    assert POSTED not in again.get_data(as_text=True)
    assert "Set-Cookie" not in again.headers


def test_a_notice_follows_the_flashed_messages(alice_client, bob):
    token = csrf_token_from(alice_client.get("/").get_data(as_text=True))
    alice_client.post("/", data={"csrf_token": token, "post": "hello"})
    alice_client.post("/follow/bob", data={"csrf_token": token})
    page = alice_client.get("/").get_data(as_text=True)
    assert page.index("You are following bob.") < page.index(POSTED)


def test_a_post_refused_shows_no_notice(alice_client):
    alice_client.submit("/", {"post": "   "})
    assert POSTED not in alice_client.get("/").get_data(as_text=True)
    assert alice_client.get_cookie(COOKIE_NAME) is None


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "posted!", ""])
def test_a_cookie_naming_no_notice_shows_nothing_and_is_deleted(alice_client, value):
    alice_client.set_cookie(COOKIE_NAME, value)
    response = alice_client.get("/")
    page = response.get_data(as_text=True)
    assert 'class="flashes"' not in page
    assert "alert(1)" not in page
    assert "Max-Age=0" in set_cookies(response)[COOKIE_NAME]


def test_a_notice_shows_on_whichever_page_comes_next(alice_client):
    alice_client.submit("/", {"post": "hello"})
    assert POSTED in alice_client.get("/explore").get_data(as_text=True)
    assert POSTED not in alice_client.get("/").get_data(as_text=True)


def test_only_a_notice_of_the_table_can_be_given(app):
    with app.test_request_context("/"), pytest.raises(KeyError):
        notify("anything")
