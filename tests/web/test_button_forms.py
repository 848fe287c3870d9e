"""Button-only views refuse a POST that is not their form, even with CSRF protection off for them.

CSRFProtect checks every POST's token before any view runs. ``require_button_form()`` inside
follow, unfollow, like, unlike, log out, resend confirmation and the sessions list's log-out
buttons is the second line, for the day one of them is exempted from that check: each test here
exempts the view (with CSRFProtect's own ``exempt``, on a copy of its set that the test then
drops) and sends a POST with no valid token. It must answer 400 from the view itself and change
nothing.
"""

from collections.abc import Callable
from typing import NamedTuple

import pytest

from app.extensions import csrf
from app.models import Post, like, like_count
from tests.helpers import callers_of, csrf_token_from

# The 400 pages: require_button_form's, and CSRFProtect's (which must not be the one answering).
VIEW_REFUSAL = "The form expired. Please try again."
CSRF_PROTECT_REFUSAL = "did not come from this site"


class ButtonView(NamedTuple):
    """A button-only view, who presses it, and how to tell that pressing it changed nothing."""

    endpoint: str
    url: str  # may name a value the preparation put in the world: {other_session}
    presser: str
    prepare: Callable[[dict], None]
    unchanged: Callable[[dict], bool]


def nothing_to_prepare(world: dict) -> None:
    """The view acts on the world as the fixture made it."""


def alice_follows_bob(world: dict) -> None:
    world["alice"].follow(world["bob"])
    world["db"].session.commit()


def follows_bob(world: dict) -> bool:
    world["db"].session.expire_all()
    return world["alice"].is_following(world["bob"])


def alice_elsewhere(world: dict) -> None:
    """alice logged in in another browser too: the session the sessions list can log out."""
    world["elsewhere"] = elsewhere = world["browser"]("alice")
    with elsewhere.session_transaction() as session:
        world["other_session"] = session["_user_id"].partition(":")[0]


def still_logged_in_elsewhere(world: dict) -> bool:
    return world["elsewhere"].get("/").status_code == 200


def bobs_post(world: dict) -> None:
    """A post of bob's for alice to like: its id is ``{post_id}`` in the view's URL."""
    post = Post(body="like me", author=world["bob"])
    world["db"].session.add(post)
    world["db"].session.commit()
    world["post_id"], world["post"] = post.id, post


def alice_likes_bobs_post(world: dict) -> None:
    bobs_post(world)
    like(world["alice"], world["post"])
    world["db"].session.commit()


def likes_bobs_post(world: dict) -> bool:
    world["db"].session.expire_all()
    return like_count(world["post"]) == 1


BUTTON_VIEWS = {
    "follow": ButtonView(
        "main.follow",
        "/follow/bob",
        "alice",
        nothing_to_prepare,
        lambda world: not follows_bob(world),
    ),
    "unfollow": ButtonView(
        "main.unfollow", "/unfollow/bob", "alice", alice_follows_bob, follows_bob
    ),
    "like": ButtonView(
        "likes.like_post",
        "/post/{post_id}/like",
        "alice",
        bobs_post,
        lambda world: not likes_bobs_post(world),
    ),
    "unlike": ButtonView(
        "likes.unlike_post",
        "/post/{post_id}/unlike",
        "alice",
        alice_likes_bobs_post,
        likes_bobs_post,
    ),
    "log out": ButtonView(
        "auth.logout",
        "/auth/logout",
        "alice",
        nothing_to_prepare,
        lambda world: world["pressed"].get("/").status_code == 200,  # still logged in
    ),
    "resend confirmation": ButtonView(
        "account.resend_confirmation",
        "/account/resend-confirmation",
        "newbie",  # not confirmed yet, so the view would send an email
        nothing_to_prepare,
        lambda world: world["mailbox"].messages == [],
    ),
    "log out another session": ButtonView(
        "account.log_out_session",
        "/account/sessions/{other_session}/end",
        "alice",
        alice_elsewhere,
        still_logged_in_elsewhere,
    ),
    "log out all other sessions": ButtonView(
        "account.log_out_other_sessions",
        "/account/sessions/end-others",
        "alice",
        alice_elsewhere,
        still_logged_in_elsewhere,
    ),
}


def no_field(world: dict) -> dict:
    return {}


def empty_token(world: dict) -> dict:
    return {"csrf_token": ""}


def forged_token(world: dict) -> dict:
    return {"csrf_token": "forged"}


def another_sessions_token(world: dict) -> dict:
    """A real token, from someone else's session (an attacker's own)."""
    page = world["browser"]("bob").get("/").get_data(as_text=True)
    return {"csrf_token": csrf_token_from(page)}


FORGERIES = [no_field, empty_token, forged_token, another_sessions_token]


@pytest.fixture
def world(db, app, alice, bob, make_user, client_for, mailbox, monkeypatch):
    """alice and bob (confirmed), newbie (not), an SMTP server, and a way to exempt a view."""
    make_user("newbie", confirmed=False)

    def exempt_from_csrf(endpoint: str) -> None:
        monkeypatch.setattr(csrf, "_exempt_views", set(csrf._exempt_views))
        csrf.exempt(app.view_functions[endpoint])

    return {
        "db": db,
        "alice": alice,
        "bob": bob,
        "mailbox": mailbox,
        "browser": client_for,
        "exempt_from_csrf": exempt_from_csrf,
    }


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("name", BUTTON_VIEWS)
def test_a_button_view_exempted_from_csrf_still_refuses_a_forged_post(world, name, forgery):
    view = BUTTON_VIEWS[name]
    view.prepare(world)
    world["pressed"] = browser = world["browser"](view.presser)
    data = forgery(world)
    world["exempt_from_csrf"](view.endpoint)

    response = browser.post(view.url.format_map(world), data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400, f"{name}: {response.status_code} {response.location}"
    assert VIEW_REFUSAL in page
    assert CSRF_PROTECT_REFUSAL not in page, "CSRFProtect answered: the view was not exempted"
    assert view.unchanged(world), f"{name} changed something"


@pytest.mark.parametrize("name", BUTTON_VIEWS)
def test_an_exempted_button_view_still_works_with_its_form(world, name):
    """The exemption leaves the view working: only the forged POSTs above are refused."""
    view = BUTTON_VIEWS[name]
    view.prepare(world)
    world["pressed"] = browser = world["browser"](view.presser)
    world["exempt_from_csrf"](view.endpoint)
    response = browser.submit(view.url.format_map(world), page="/")
    assert response.status_code == 302
    assert not view.unchanged(world), f"{name} did nothing"


def test_every_button_view_is_tried():
    """Each function calling ``require_button_form`` has its views in :data:`BUTTON_VIEWS`:
    a new one fails here until it is added there (and its name here)."""
    assert callers_of("require_button_form") == {
        "_follow_change",  # follow, unfollow
        "like_post",
        "unlike_post",
        "logout",
        "resend_confirmation",
        "log_out_session",
        "log_out_other_sessions",
    }
