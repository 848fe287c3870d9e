"""Hostile input: control characters, reserved names and oversize bodies get a clear answer."""

import pytest
import sqlalchemy as sa

from app.models import Post, User
from app.web.account_fields import RESERVED_USERNAME_MESSAGE, RESERVED_USERNAMES
from app.web.forms import CONTROL_CHARACTER_MESSAGE
from tests.helpers import PASSWORD

REGISTRATION = {
    "username": "carol",
    "email": "carol@example.com",
    "password": "a long password",
    "password2": "a long password",
}
# NUL, bell, escape, DEL and a C1 control, each inside otherwise harmless text.
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x9b"]


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_registration_refuses_control_characters(client, db, field, control):
    data = {**REGISTRATION}
    data[field] = f"caro{control}l" if field != "email" else f"carol{control}@example.com"
    if field == "password":
        data["password2"] = data["password"]
    response = client.submit("/auth/register", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert CONTROL_CHARACTER_MESSAGE in page or "Enter a valid email address." in page
    assert count(db, User) == 0


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("field", ["username", "password"])
def test_login_refuses_control_characters(client, alice, field, control):
    data = {"username": "alice", "password": PASSWORD}
    data[field] = data[field][:2] + control + data[field][2:]
    response = client.submit("/auth/login", data)
    assert response.status_code == 200
    assert CONTROL_CHARACTER_MESSAGE in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("control", [*CONTROLS, "\n"])
def test_edit_profile_refuses_control_characters_in_username(alice_client, alice, control):
    response = alice_client.submit("/edit_profile", {"username": f"ali{control}ce2"})
    assert CONTROL_CHARACTER_MESSAGE in response.get_data(as_text=True)
    assert alice.username == "alice"


@pytest.mark.parametrize("control", CONTROLS)
def test_about_me_refuses_control_characters(alice_client, alice, db, control):
    response = alice_client.submit(
        "/edit_profile", {"username": "alice", "about_me": f"bird{control}watcher"}
    )
    page = response.get_data(as_text=True)
    assert CONTROL_CHARACTER_MESSAGE in page
    assert "watcher" in page  # what was typed stays in the box
    db.session.expire_all()
    assert alice.about_me is None


@pytest.mark.parametrize("control", CONTROLS)
def test_post_refuses_control_characters_and_keeps_the_text(alice_client, db, control):
    response = alice_client.submit("/", {"post": f"hello{control}world"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert CONTROL_CHARACTER_MESSAGE in page
    assert "world" in page
    assert count(db, Post) == 0


def test_line_breaks_and_tabs_are_fine_in_a_post(alice_client, db):
    alice_client.submit("/", {"post": "line one\r\n\tline two"})
    assert (
        db.session.scalar(sa.select(Post.body)) == "line one\n\tline two"
    )  # stored with LF, as the counter counts


@pytest.mark.parametrize("name", ["auth", "STATIC", "Admin", "api", "user", "explore", "login"])
def test_registration_refuses_reserved_usernames(client, db, name):
    response = client.submit("/auth/register", {**REGISTRATION, "username": name})
    assert RESERVED_USERNAME_MESSAGE in response.get_data(as_text=True)
    assert count(db, User) == 0


@pytest.mark.parametrize("name", ["admin", "Static", "auth", "moderator"])
def test_edit_profile_refuses_reserved_usernames(alice_client, alice, name):
    response = alice_client.submit("/edit_profile", {"username": name})
    assert RESERVED_USERNAME_MESSAGE in response.get_data(as_text=True)
    assert alice.username == "alice"


def test_a_user_may_keep_a_name_reserved_after_they_took_it(make_user, login, client, db):
    make_user("support")
    login("support")
    response = client.submit("/edit_profile", {"username": "support", "about_me": "still here"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert (user.username, user.about_me) == ("support", "still here")


def test_every_blueprint_path_is_reserved(app):
    """A new top-level path segment must be added to the reserved names."""
    segments = {
        rule.rule.strip("/").split("/")[0].lower()
        for rule in app.url_map.iter_rules()
        if rule.rule.strip("/") and not rule.rule.strip("/").startswith("<")
    }
    assert segments <= RESERVED_USERNAMES


@pytest.mark.parametrize(
    ("url", "logged_in"),
    [
        ("/auth/login", False),
        ("/auth/register", False),
        ("/", True),
        ("/edit_profile", True),
        ("/follow/bob", True),
    ],
)
def test_oversize_bodies_get_413(client, alice, bob, login, db, url, logged_in):
    if logged_in:
        login("alice")
    response = client.submit(url, {"post": "x" * 70_000, "username": "y" * 70_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert count(db, Post) == 0
    assert not alice.is_following(bob)


@pytest.mark.parametrize(
    "url",
    [
        "/user/a%00b",
        "/user/%3Cscript%3E",
        "/user/alice/followers?after=%00",
        "/user/alice/following?before=a%00b",
        "/explore?after=%00_1",
    ],
)
def test_nul_and_junk_in_urls_give_4xx(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code in (400, 404)
    assert "Chirp" in response.get_data(as_text=True)


# Ids past what the id columns hold (PostgreSQL's integer, SQLite's 64 bits) must not reach the
# database, which refuses them with an error.
TOO_LARGE_IDS = [2**31, 10**25]
ID_URLS = [
    "/post/{id}",
    "/post/{id}/edit",
    "/post/{id}/delete",
    "/post/{id}/report",
    "/moderation/post/{id}/hide",
    "/moderation/post/{id}/unhide",
    "/moderation/report/{id}/dismiss",
]
CURSOR_URLS = [
    "/?after=1_{id}",
    "/?before=1_{id}",
    "/explore?after=1_{id}",
    "/explore?before=1_{id}",
    "/user/admin?after=1_{id}",
    "/moderation/?after=1_{id}",
    "/admin/audit?before=1_{id}",
]


@pytest.mark.parametrize("big", TOO_LARGE_IDS)
@pytest.mark.parametrize("url", ID_URLS)
def test_ids_too_large_for_the_database_are_404(make_staff, client_for, url, big):
    make_staff("admin", "admin")
    browser = client_for("admin")
    response = browser.get(url.format(id=big))
    assert response.status_code == 404
    assert "Chirp" in response.get_data(as_text=True)
    # A POST is refused by the router too (405 where the page takes only GETs).
    assert browser.post(url.format(id=big)).status_code in (404, 405)


@pytest.mark.parametrize("big", TOO_LARGE_IDS)
@pytest.mark.parametrize("url", CURSOR_URLS)
def test_page_cursors_with_ids_too_large_for_the_database_are_400(make_staff, client_for, url, big):
    make_staff("admin", "admin")
    response = client_for("admin").get(url.format(id=big))
    assert response.status_code == 400
    assert "page link is not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/follow/a%00b", "/unfollow/%3Cscript%3E"])
def test_following_a_name_no_account_can_have_is_404(alice_client, url):
    assert alice_client.submit(url, page="/").status_code == 404


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


def test_every_form_refuses_control_characters(app):
    """Forms must inherit ChirpForm, or NUL reaches the database (a 500 on PostgreSQL)."""
    from flask_wtf import FlaskForm

    from app.web.forms import ChirpForm

    forms = {form for form in all_subclasses(FlaskForm) if form.__module__.startswith("app.")}
    assert len(forms) >= 5  # the blueprints' forms are loaded
    assert {f"{f.__module__}.{f.__name__}" for f in forms if not issubclass(f, ChirpForm)} == set()
