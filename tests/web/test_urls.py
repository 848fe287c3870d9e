"""Links built by url_for_id, url_for_name and static_url are exactly what url_for builds."""

import pytest
from flask import url_for

from app.web import icons, urls
from app.web.icons import icon
from app.web.urls import same_request, static_url, url_for_id, url_for_name

CASES = [
    ("posts.view", "post_id", {}),
    ("posts.edit", "post_id", {}),
    ("moderation.hide_post", "post_id", {"next": "/user/bob?after=1_2&x=%20"}),
    ("main.avatar", "user_id", {"size": 48}),
]


@pytest.mark.parametrize("script_root", ["", "/chirp"])
@pytest.mark.parametrize(("endpoint", "name", "values"), CASES)
def test_same_links_as_url_for(app, script_root, endpoint, name, values):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        for value in (1, 42, 9_007_199_254_740_881, 10**20):
            assert url_for_id(endpoint, name, value, **values) == url_for(
                endpoint, **{name: value}, **values
            )


def test_a_link_built_before_changes_nothing_for_other_values(app):
    with app.test_request_context("/"):
        assert url_for_id("main.avatar", "user_id", 7, size=48) == "/avatar/7/48.svg"
        assert url_for_id("main.avatar", "user_id", 7, size=128) == "/avatar/7/128.svg"
        assert url_for_id("posts.view", "post_id", 3) == url_for("posts.view", post_id=3)


NAME_CASES = [
    ("main.user", {}),
    ("main.followers", {"after": "1_2"}),
    ("main.follow", {"next": "/user/bob/followers?after=1_2&x=%20"}),
]


@pytest.mark.parametrize("script_root", ["", "/chirp"])
@pytest.mark.parametrize(("endpoint", "values"), NAME_CASES)
def test_same_name_links_as_url_for(app, script_root, endpoint, values):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        # Names of today's rules, then text they refuse, which url_for quotes.
        for name in ("bob", "Ann_99", "9007199254740881", "a b", "x/y", "é", "%41", "?next"):
            assert url_for_name(endpoint, "username", name, **values) == url_for(
                endpoint, username=name, **values
            )


@pytest.mark.parametrize("script_root", ["", "/chirp"])
def test_same_static_links_as_url_for(app, script_root):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
        for filename in ("icons.svg", "icons.svg", "css/chirp.css", "icons.svg"):
            assert static_url(filename) == url_for("static", filename=filename)


def test_a_card_links_its_icons_to_the_sprite(client, make_user, make_post, login):
    """The icons' sprite URL is kept per request, and each card's icons use it."""
    bob = make_user("bob")
    make_post(bob, "a post with replies, likes and a menu")
    login("bob")
    page = client.get("/explore", base_url="http://localhost/chirp/").get_data(as_text=True)
    assert page.count('<use href="/chirp/static/icons.svg#') >= 2
    assert 'href="/static/icons.svg' not in page


def test_links_kept_per_process_follow_each_requests_root(app):
    """The texts around the id are kept per process: one request's root never leaks into
    another's links."""
    for root in ("", "/chirp", "", "/other/"):
        with app.test_request_context("/", base_url=f"http://localhost{root}"):
            assert url_for_id("posts.view", "post_id", 5) == url_for("posts.view", post_id=5)
            assert url_for_name("main.user", "username", "bob") == url_for(
                "main.user", username="bob"
            )


def test_a_path_depends_on_the_request_only_through_its_root(app):
    """What keeping the links per process relies on (app/web/urls.py): with URL defaults, host
    or subdomain matching, url_for's text would depend on more of the request."""
    assert not app.url_default_functions
    assert not app.url_map.host_matching
    assert not app.subdomain_matching


def test_the_kept_links_are_bounded(app, monkeypatch):
    """A moderator's cards link back to the page they are on: one kept text per page, and
    the oldest go first."""
    monkeypatch.setattr(urls, "URL_TEMPLATES_SIZE", 3)
    with app.test_request_context("/"):
        for page in range(10):
            back = f"/explore?after={page}"
            assert url_for_id("moderation.hide_post", "post_id", 9, next=back) == url_for(
                "moderation.hide_post", post_id=9, next=back
            )
        assert len(app.extensions["url_templates"]) == 3


def test_kept_icons_are_the_macros_under_each_root(app, monkeypatch):
    """app/web/icons.py keeps each icon the macro renders, per root, and stays bounded."""
    monkeypatch.setattr(icons, "ICONS_KEPT", 3)
    for root in ("", "/chirp", "", "/other"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            macro = app.jinja_env.get_template("_macros/icons.html").module.icon
            for name in ("heart", "reply", "heart"):
                assert icon(name) == macro(name)
                assert f'href="{root}/static/icons.svg#{name}"' in icon(name)
    assert len(app.extensions["icons"]) <= 3


def test_links_inside_same_request_are_those_of_its_root(app):
    """same_request() keeps the app and root it was entered with, for its links only."""
    for root in ("/chirp", "", "/other"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"), same_request():
            assert url_for_id("posts.view", "post_id", 5) == url_for("posts.view", post_id=5)
            assert url_for_id("main.avatar", "user_id", 5, size=48) == f"{root}/avatar/5/48.svg"
            assert url_for_name("main.user", "username", "bob") == f"{root}/user/bob"
            assert f'href="{root}/static/icons.svg#heart"' in icon("heart")
    assert urls._APP_AND_ROOT.get() is None
