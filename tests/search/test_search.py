"""Finding people by the start of their username."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.models.types import utcnow
from tests.helpers import link, people_on, walk


def search(client, text: str, status: int = 200) -> str:
    """The search page for ``text``, which must answer ``status``."""
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == status
    return response.get_data(as_text=True)


def everyone_found(client, text: str) -> list[str]:
    """The names found for ``text``, over all the pages of results (3 a page in tests)."""
    return [name for page in walk(client, f"/search?q={text}") for name in page]


@pytest.fixture
def names(make_user):
    """People whose names share beginnings (and alice, from the logged-in client)."""
    return {name: make_user(name) for name in ["Alfred", "al_x", "alx", "bob_al", "Alma"]}


def test_the_search_page_needs_a_login(client):
    response = client.get("/search?q=al")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_without_a_question_the_page_shows_the_box_and_how_to_use_it(alice_client):
    page = search(alice_client, "")
    assert '<input type="search" id="q" name="q" value=""' in page
    assert "Type the start of a username" in page
    assert "results-heading" not in page
    assert alice_client.get("/search").status_code == 200


def test_explore_has_the_search_box(alice_client):
    page = alice_client.get("/explore").get_data(as_text=True)
    assert 'action="/search" method="get" role="search"' in page


@pytest.mark.parametrize("text", ["al", "AL", "@al", "  Al  "])
def test_names_starting_with_the_text_come_by_name_in_any_case(alice_client, names, text):
    # By code point of the lower-cased name on both databases: "_" before the letters.
    assert everyone_found(alice_client, text.strip()) == ["al_x", "Alfred", "alice", "Alma", "alx"]


def test_an_underscore_is_a_letter_of_the_name_not_a_wildcard(alice_client, names):
    assert people_on(search(alice_client, "al_")) == ["al_x"]
    assert people_on(search(alice_client, "a_x")) == []


def test_a_whole_name_finds_that_person(alice_client, names):
    assert people_on(search(alice_client, "alfred")) == ["Alfred"]


def test_no_match_says_so_and_keeps_the_text(alice_client, names):
    page = search(alice_client, "zz")
    assert people_on(page) == []
    assert "Nobody's username starts with “zz”." in page
    assert 'value="zz"' in page


def test_suspended_accounts_are_not_found(db, alice_client, names):
    names["Alma"].suspended_at = utcnow()
    db.session.commit()
    assert "Alma" not in people_on(search(alice_client, "al"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("al ice", "Usernames have only letters, digits and underscores"),
        ("<script>", "Usernames have only letters, digits and underscores"),
        ("al%", "Usernames have only letters, digits and underscores"),
        ("é", "Usernames have only letters, digits and underscores"),
        ("a" * 33, "Usernames are at most 32 characters."),
        ("al\x00", "Remove the invisible control characters"),
    ],
)
def test_text_no_name_can_start_with_gets_a_message_and_stays_in_the_box(
    alice_client, names, text, message
):
    page = search(alice_client, text)
    assert message in page
    assert 'aria-invalid="true" aria-describedby="q-error"' in page
    assert people_on(page) == []
    if "\x00" not in text:
        assert f'value="{html.escape(text)}"' in page


def test_results_have_follow_and_unfollow_buttons_but_not_for_oneself(
    db, alice_client, alice, names
):
    alice.follow(names["Alfred"])
    db.session.commit()
    assert 'Unfollow<span class="visually-hidden"> Alfred</span>' in search(alice_client, "alf")
    assert 'Follow<span class="visually-hidden"> Alma</span>' in search(alice_client, "alm")
    assert "alice" in people_on(search(alice_client, "alic"))
    assert '<span class="visually-hidden"> alice</span>' not in search(alice_client, "alic")


def test_following_from_the_results_comes_back_to_them(alice_client, alice, names):
    page = search(alice_client, "alm")
    action = re.search(r'<form action="([^"]*/follow/Alma[^"]*)"', page).group(1)
    response = alice_client.submit(html.unescape(action), {}, page="/search?q=alm")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=alm"
    assert alice.is_following(names["Alma"])


def test_an_unconfirmed_reader_sees_no_follow_buttons(client, login, make_user, names):
    make_user("carol", confirmed=False)
    login("carol")
    page = search(client, "alm")
    assert people_on(page) == ["Alma"]
    assert "Follow<span" not in page


def test_results_come_a_page_at_a_time_and_keep_the_question(alice_client, make_user):
    for n in range(7):
        make_user(f"fan{n}")
    make_user("fanatic")
    pages = walk(alice_client, "/search?q=fan")
    assert pages == [["fan0", "fan1", "fan2"], ["fan3", "fan4", "fan5"], ["fan6", "fanatic"]]

    second = search(alice_client, "fan")
    next_url = link(second, "next")
    assert parse_qs(urlsplit(next_url).query)["q"] == ["fan"]


def test_a_broken_page_link_offers_the_first_page_of_the_same_search(alice_client, names):
    response = alice_client.get("/search?q=al&after=%00")
    assert response.status_code == 400
    assert 'href="/search?q=al"' in response.get_data(as_text=True)
