"""``next`` never sends anyone to another site, as a browser reads the address.

Every view that takes ``next`` is in :data:`VIEWS_TAKING_NEXT`, and every address in
:data:`FOREIGN_NEXT` must leave the browser on this site, at the view's own default. Browsers
read a ``Location`` header by the WHATWG URL standard, where Python's ``urljoin`` would be
misleading: ``///host``, ``/\\host``, ``\\/host`` and a leading tab, newline or space all name
another host there, though ``urlsplit`` sees no host in them. ``ada_url`` implements that standard
(it is the URL parser of Node.js) and gives the same answer as Chromium for every address below.
"""

import html
import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote, unquote

import pytest
from ada_url import URL

from app.models import like
from app.models.moderation import Report
from app.models.types import utcnow
from tests.helpers import PASSWORD, callers_of

SITE = ("http:", "localhost")  # the test client's scheme and host

# Each is refused by ``safe_next_path`` today; the comment says which check refuses it.
FOREIGN_NEXT = [
    "https://evil.example/",  # a scheme
    "https:evil.example",  # a scheme without slashes: https://evil.example/ to a browser
    "//evil.example/x",  # a host, as urlsplit also sees it
    "///evil.example",  # three slashes: urlsplit sees no host, a browser sees evil.example
    "////evil.example/x",  # and four
    "///evil.example:80/x",
    "/%2F/evil.example",  # ///evil.example once decoded
    "/%2F%2Fevil.example",
    "%2F%2F%2Fevil.example",
    "/\\evil.example",  # a browser reads a backslash as a slash
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%5C/evil.example",
    "\t//evil.example",  # browsers drop tabs and newlines anywhere, and leading spaces
    "\n///evil.example",
    " ///evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/%09/evil.example",
    "javascript:alert(1)",
]


class Landing(NamedTuple):
    """An address a view gave the browser, and where that view goes without a usable ``next``."""

    what: str  # "redirect", or the link's text
    page: str  # the page the address is on (what the browser resolves it against)
    address: str  # the Location header or the href, as sent
    default: str


def redirect_of(response, default: str) -> Landing:
    """The redirect ``response`` answered with."""
    assert response.status_code == 302, response.get_data(as_text=True)
    return Landing("redirect", response.request.url, response.headers["Location"], default)


CANCEL = re.compile(r'<a href="([^"]*)">Cancel</a>')


def moderation_action(
    path: Callable[[dict], str], default: Callable[[dict], str], before=None
) -> Callable[[dict, str], list[Landing]]:
    """A moderation action: its confirmation page's Cancel link, then the redirect after it."""

    def act(world: dict, next_param: str) -> list[Landing]:
        if before is not None:
            before(world)
        moderator = world["browser"]("mod")
        url = f"{path(world)}?next={next_param}"
        page = moderator.get(url)
        cancel = html.unescape(CANCEL.search(page.get_data(as_text=True)).group(1))
        response = moderator.submit(url, {"reason": "checking next"})
        return [
            Landing("Cancel", page.request.url, cancel, "/moderation/"),
            redirect_of(response, default(world)),
        ]

    return act


def log_in(world, next_param):
    response = world["anonymous"].submit(
        f"/auth/login?next={next_param}", {"username": "alice", "password": PASSWORD}
    )
    return [redirect_of(response, "/")]


def log_in_when_logged_in(world, next_param):
    response = world["browser"]("alice").get(f"/auth/login?next={next_param}")
    return [redirect_of(response, "/")]


def follow(world, next_param):
    response = world["browser"]("alice").submit(f"/follow/bob?next={next_param}", page="/user/bob")
    return [redirect_of(response, "/user/bob")]


def unfollow(world, next_param):
    world["alice"].follow(world["bob"])
    world["db"].session.commit()
    response = world["browser"]("alice").submit(
        f"/unfollow/bob?next={next_param}", page="/user/bob"
    )
    return [redirect_of(response, "/user/bob")]


def liking(action: str) -> Callable[[dict, str], list[Landing]]:
    """Like or unlike: back to the page the button was on, named by ``Referer`` (the card's
    form is shared by every page that shows it), at the card; else to the post's page.

    The address is tried as a page of this site and, if it has a scheme, as the whole
    ``Referer``, with what a browser would percent-encode encoded (a header cannot carry a
    line break).
    """

    def act(world, next_param):
        post_id = world["post"].id
        if action == "unlike":
            like(world["alice"], world["post"])
            world["db"].session.commit()
        value = unquote(next_param)
        for raw, encoded in (("\t", "%09"), ("\r", "%0D"), ("\n", "%0A"), (" ", "%20")):
            value = value.replace(raw, encoded)
        browser, landings = world["browser"]("alice"), []
        # A browser's Referer is a whole URL: the value alone only when it is one.
        referers = [f"http://localhost{value}"] + ([value] if ":" in value else [])
        for referer in referers:
            response = browser.submit(
                f"/post/{post_id}/{action}", headers={"Referer": referer}, page="/"
            )
            landing = redirect_of(response, f"/post/{post_id}")
            # The card's anchor comes last whatever the page: the test compares the page.
            address, _, anchor = landing.address.partition("#")
            assert anchor == f"post-{post_id}"
            landings.append(landing._replace(address=address))
        return landings

    return act


def moderation_already_done(world, next_param):
    """Unhiding a post nobody hid: the "already done" way back."""
    post_id = world["post"].id
    response = world["browser"]("mod").get(f"/moderation/post/{post_id}/unhide?next={next_param}")
    return [redirect_of(response, f"/post/{post_id}")]


def hide_bobs_post(world):
    world["post"].hidden_at = utcnow()
    world["db"].session.commit()


def suspend_bob(world):
    world["bob"].suspended_at = utcnow()
    world["db"].session.commit()


# Every view that reads ``next``, by what it does; a new one belongs here (see the last test).
VIEWS_TAKING_NEXT = {
    "log in": log_in,
    "log in, already logged in": log_in_when_logged_in,
    "follow": follow,
    "unfollow": unfollow,
    "like": liking("like"),
    "unlike": liking("unlike"),
    "hide a post": moderation_action(
        lambda w: f"/moderation/post/{w['post'].id}/hide", lambda w: f"/post/{w['post'].id}"
    ),
    "unhide a post": moderation_action(
        lambda w: f"/moderation/post/{w['post'].id}/unhide",
        lambda w: f"/post/{w['post'].id}",
        before=hide_bobs_post,
    ),
    "suspend": moderation_action(lambda w: "/moderation/user/bob/suspend", lambda w: "/user/bob"),
    "unsuspend": moderation_action(
        lambda w: "/moderation/user/bob/unsuspend", lambda w: "/user/bob", before=suspend_bob
    ),
    "dismiss a report": moderation_action(
        lambda w: f"/moderation/report/{w['report'].id}/dismiss", lambda w: "/moderation/"
    ),
    "moderation, already done": moderation_already_done,
}


@pytest.fixture
def world(db, client, client_for, alice, bob, make_staff, make_post):
    """alice and bob, a moderator, a post of bob's that alice reported; browsers on demand."""
    make_staff("mod", "moderator")
    post = make_post(bob, "bob writes")
    report = Report(post=post, reporter=alice, reason="spam")
    db.session.add(report)
    db.session.commit()
    return {
        "db": db,
        "alice": alice,
        "bob": bob,
        "post": post,
        "report": report,
        "anonymous": client,
        "browser": client_for,
    }


@pytest.mark.parametrize("next_value", FOREIGN_NEXT)
@pytest.mark.parametrize("view", VIEWS_TAKING_NEXT)
def test_next_never_leads_off_the_site(world, view, next_value):
    """Whatever ``next`` says, the browser lands on a page of this site: the view's default."""
    for landing in VIEWS_TAKING_NEXT[view](world, quote(next_value, safe="")):
        destination = URL(landing.address, landing.page)
        assert (destination.protocol, destination.host) == SITE, (
            f"{view}: the {landing.what} {landing.address!r} leads to {destination.href}"
        )
        assert landing.address == landing.default, f"{view}: the {landing.what}"


@pytest.mark.parametrize("view", VIEWS_TAKING_NEXT)
def test_a_next_on_this_site_is_followed(world, view):
    """The table's views really do follow ``next`` (so the test above is not vacuous)."""
    for landing in VIEWS_TAKING_NEXT[view](world, quote("/explore?after=1_2", safe="")):
        assert landing.address == "/explore?after=1_2", f"{view}: the {landing.what}"


def test_every_view_that_reads_next_is_walked():
    """Each function that checks ``next`` is one whose views are in :data:`VIEWS_TAKING_NEXT`:
    a new one fails here until its views are added there (and its name here)."""
    assert callers_of("safe_next_path") == {
        "login",  # log in, both ways
        "_follow_change",  # follow, unfollow
        "back_to_card",  # like, unlike (from Referer)
        "back_to",  # every moderation action, and "already done"
        "confirm_page",  # the Cancel link of every moderation action
    }
