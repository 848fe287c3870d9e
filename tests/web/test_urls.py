"""Links built by url_for_id and url_for_name are exactly what url_for builds."""

import pytest
from flask import url_for

from app.web.urls import url_for_id, url_for_name

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
