"""Kept page fragments (the navigation, home's suggestions): shared HTML, yet each reader's own
CSRF token in its forms, and never stale when what it shows changes."""

import re

import pytest
from flask_wtf.csrf import generate_csrf
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup

from app import create_app
from app.listings.people import PersonCard, people_list_html
from app.web.fragments import (
    FragmentCache,
    fragment,
    join_with_csrf_token,
    split_at_csrf_token,
    with_csrf_token,
)
from tests.helpers import TestConfig, csrf_token_from

LOGOUT_TOKEN = re.compile(
    r'<form action="/auth/logout" method="post" class="inline-form">\s*'
    r'<input type="hidden" name="csrf_token" value="([^"]+)">'
)


def logout_token(page: str) -> str:
    match = LOGOUT_TOKEN.search(page)
    assert match, "no Log out form"
    return match.group(1)


def test_two_sessions_share_the_navigation_but_each_logs_out_with_its_own_token(
    app, alice, client_for
):
    first, second = client_for("alice"), client_for("alice")
    first_page = first.get("/explore").get_data(as_text=True)
    second_page = second.get("/explore").get_data(as_text=True)
    assert len(app.extensions["fragments"]) >= 1
    assert logout_token(first_page) != logout_token(second_page)
    assert "<csrf-token>" not in first_page + second_page

    # The second's token does not log the first out; its own does.
    refused = first.post("/auth/logout", data={"csrf_token": logout_token(second_page)})
    assert refused.status_code == 400
    assert (
        first.post("/auth/logout", data={"csrf_token": logout_token(first_page)}).status_code == 302
    )
    assert "/auth/login" in first.get("/explore").headers["Location"]


def test_the_navigation_follows_a_rename_and_a_new_role_at_once(db, alice, alice_client):
    page = alice_client.get("/explore").get_data(as_text=True)
    assert '<span class="nav-username">alice</span>' in page
    assert "Moderation</a>" not in page

    alice.username = "alicia"
    alice.grant_role("moderator")
    db.session.commit()
    page = alice_client.get("/explore").get_data(as_text=True)
    assert '<a class="nav-user" href="/user/alicia"' in page
    assert '<span class="nav-username">alicia</span>' in page
    assert '<a href="/moderation/"' in page


def test_the_navigation_marks_the_page_it_is_on(alice, alice_client):
    explore = alice_client.get("/explore").get_data(as_text=True)
    home = alice_client.get("/").get_data(as_text=True)
    profile = alice_client.get("/user/alice").get_data(as_text=True)
    assert '<a href="/explore" aria-current="page">Explore</a>' in explore
    assert '<a href="/" aria-current="page">Home</a>' not in explore
    assert '<a href="/" aria-current="page">Home</a>' in home
    assert '<a class="nav-user" href="/user/alice" aria-current="page">' in profile
    assert '<a class="nav-user" href="/user/alice" aria-current="page">' not in home


def test_suggestions_on_home_carry_the_readers_own_token(db, make_user, client_for, make_post):
    ana, bea, cy = make_user("ana"), make_user("bea"), make_user("cyd")
    ana.follow(bea)
    bea.follow(cy)
    db.session.commit()
    first, second = client_for("ana"), client_for("ana")
    pages = [browser.get("/").get_data(as_text=True) for browser in (first, second)]
    follow_form = re.compile(
        r'<form action="/follow/cyd\?next=/" method="post" class="inline-form">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">'
    )
    tokens = [follow_form.search(page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert tokens[0] == csrf_token_from(pages[0])
    response = first.post("/follow/cyd?next=/", data={"csrf_token": tokens[0]})
    assert response.status_code == 302
    assert ana.is_following(cy)


@pytest.fixture
def extra_templates(app):
    """Templates of the test's own, beside the app's."""
    templates = {}
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), app.jinja_env.loader])
    return templates


def test_a_fragment_that_would_keep_a_readers_token_is_refused(app, extra_templates):
    extra_templates["leaky.html"] = '<input name="csrf_token" value="{{ csrf_token() }}">'
    extra_templates["sound.html"] = '<input name="csrf_token" value="{{ csrf_token_mark }}">'
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match=r"leaky\.html has a CSRF token"):
            fragment("leaky.html")
        assert "<csrf-token>" not in fragment("sound.html")


def test_a_fragment_is_rendered_once_per_set_of_values(app, extra_templates, monkeypatch):
    extra_templates["hello.html"] = "{{ greeting }}, {{ names|join(' and ') }}"
    loads, get_template = [], app.jinja_env.get_template
    monkeypatch.setattr(
        app.jinja_env, "get_template", lambda name: loads.append(name) or get_template(name)
    )
    with app.test_request_context("/"):
        for _ in range(2):
            assert fragment("hello.html", greeting="hi", names=["ana", "bea"]) == "hi, ana and bea"
        assert loads == ["hello.html"]
        assert fragment("hello.html", greeting="yo", names=["ana"]) == "yo, ana"
        assert loads == ["hello.html", "hello.html"]


def test_values_given_in_another_order_give_the_same_fragment(app, extra_templates):
    """The key keeps the values in the order given (no sort on every call): another order
    may render the fragment again, but never gives another set of values' fragment."""
    extra_templates["pair.html"] = "{{ a }}-{{ b }}"
    with app.test_request_context("/"):
        assert fragment("pair.html", a=1, b=2) == "1-2"
        assert fragment("pair.html", b=2, a=1) == "1-2"
        assert fragment("pair.html", b=1, a=2) == "2-1"
        assert fragment("pair.html", a=1, b=[2]) == "1-(2,)"  # a list is kept as a tuple
        assert fragment("pair.html", a=1, b=(2,)) == "1-(2,)"


def test_a_full_cache_lets_the_oldest_go():
    cache = FragmentCache(2)
    for key in ("a", "b", "c"):
        cache.keep(key, key.upper())
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (None, "B", "C", 2)


def test_a_cache_of_no_size_is_a_configuration_error():
    class NoFragments(TestConfig):
        FRAGMENT_CACHE_SIZE = 0

    with pytest.raises(ValueError, match="FRAGMENT_CACHE_SIZE"):
        create_app(NoFragments)


def person_row(page: str, username: str) -> str:
    """The <li> of ``username`` in a page's list of people."""
    start = page.index(f'<a href="/user/{username}">{username}</a>')
    return page[page.rindex('<li class="person">', 0, start) : page.index("</li>", start)]


def test_readers_of_a_list_share_its_rows_each_with_their_own_token(
    app, db, make_user, client_for, monkeypatch
):
    """The rows of a follower list are rendered once for every reader who sees them the same
    way; each reader's Follow forms carry their own token."""
    star, ana, bea, cyd = (make_user(name) for name in ("star", "ana", "bea", "cyd"))
    for fan in (ana, bea, cyd):
        fan.follow(star)
    db.session.commit()
    renders, get_template = [], app.jinja_env.get_template

    def counting(name, *args):
        renders.append(name)
        return get_template(name, *args)

    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    pages = {}
    for reader in ("bea", "cyd"):
        pages[reader] = client_for(reader).get("/user/star/followers").get_data(as_text=True)
    # ana's row is the same for bea and cyd (neither follows her): rendered once. Each sees
    # their own row without a button and the other's with Follow: two rows each.
    assert renders.count("_partials/_person.html") == 5
    rows = {reader: person_row(page, "ana") for reader, page in pages.items()}
    tokens = {reader: re.search(r'value="([^"]+)"', row).group(1) for reader, row in rows.items()}
    assert tokens["bea"] != tokens["cyd"]
    assert tokens["bea"] == csrf_token_from(pages["bea"])
    assert rows["bea"].replace(tokens["bea"], "") == rows["cyd"].replace(tokens["cyd"], "")
    assert "Follow" not in person_row(pages["bea"], "bea")
    assert "<csrf-token>" not in pages["bea"] + pages["cyd"]


def test_a_list_of_people_shows_a_follow_and_a_rename_at_once(db, make_user, client_for):
    star, ana, bea = (make_user(name) for name in ("star", "ana", "bea"))
    ana.follow(star)
    bea.follow(star)
    db.session.commit()
    browser = client_for("bea")
    row = person_row(browser.get("/user/star/followers").get_data(as_text=True), "ana")
    assert 'action="/follow/ana?next=/user/star/followers"' in row

    bea.follow(ana)
    db.session.commit()
    row = person_row(browser.get("/user/star/followers").get_data(as_text=True), "ana")
    assert 'action="/unfollow/ana?next=/user/star/followers"' in row
    assert ">Unfollow<" in row

    ana.username = "anabel"
    db.session.commit()
    page = browser.get("/user/star/followers").get_data(as_text=True)
    assert 'href="/user/ana"' not in page
    assert 'action="/unfollow/anabel?next=/user/star/followers"' in person_row(page, "anabel")


@pytest.mark.parametrize(
    "html",
    [
        Markup("<p>no form</p>"),
        Markup("<input value='<csrf-token>'>"),
        Markup("<csrf-token><b><csrf-token></b><csrf-token>"),
    ],
)
def test_html_kept_in_pieces_gets_the_token_as_if_replaced(app, html):
    """Kept HTML is cut at the token's marks once; joining the pieces with the reader's
    token gives what replacing the marks in the whole gives."""
    pieces = [split_at_csrf_token(html), split_at_csrf_token(Markup("<hr>"))]
    with app.test_request_context("/"):
        joined = join_with_csrf_token(pieces, "\n")
        assert joined == with_csrf_token(html + Markup("\n<hr>"))
        assert isinstance(joined, Markup)
        assert "<csrf-token>" not in joined
        assert joined.count(generate_csrf()) == html.count("<csrf-token>")


def test_a_list_of_people_kept_for_a_fragment_keeps_the_marks_and_a_page_gets_the_token(app):
    """The suggestions beside home keep the list in a fragment, marks and all; a page that
    shows the list has the reader's token in its forms, the same HTML otherwise."""
    people = [PersonCard(1, "ana", None, False), PersonCard(2, "bea", None, True)]
    with app.test_request_context("/"):
        kept = people_list_html(people, "/here", 3, True)
        shown = people_list_html(people, "/here", 3, True, with_token=True)
        assert kept.count("<csrf-token>") == 2
        assert shown == with_csrf_token(kept)
        assert shown.count(generate_csrf()) == 2
        assert re.fullmatch(r'<ul class="people">\n(.*ana.*)\n(.*bea.*)\n</ul>', kept, re.S)
