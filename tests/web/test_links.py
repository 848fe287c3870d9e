"""Web addresses and @mentions in posts and about-me texts are links; nothing else is markup."""

import pytest

from app.web.filters import link_text

REL = 'rel="nofollow ugc noopener noreferrer"'


def link(url: str, shown: str | None = None) -> str:
    return f'<a href="{url}" {REL}>{shown or url}</a>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("see https://example.com", "see " + link("https://example.com")),
        ("HTTP://EXAMPLE.COM/A?b=1", link("HTTP://EXAMPLE.COM/A?b=1")),
        ("http://example.com/a. Next", link("http://example.com/a") + ". Next"),
        ("Is it https://example.com/?", "Is it " + link("https://example.com/") + "?"),
        ("(see https://example.com/a)", "(see " + link("https://example.com/a") + ")"),
        (
            "https://en.wikipedia.org/wiki/Python_(language), yes",
            link("https://en.wikipedia.org/wiki/Python_(language)") + ", yes",
        ),
        (
            "a https://example.com/?q=1&r=2 b",
            "a " + link("https://example.com/?q=1&amp;r=2") + " b",
        ),
        (
            "two: http://a.example\nhttp://b.example",
            f"two: {link('http://a.example')}\n" + link("http://b.example"),
        ),
        ("«https://example.com/ü»", "«" + link("https://example.com/ü") + "»"),
    ],
)
def test_addresses_become_links(text, html):
    assert link_text(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "no address here",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "data:text/html,<b>x</b>",
        "just http:// and https://.",
        "xhttps://example.com",
    ],
)
def test_other_text_is_not_linked(text):
    assert "<a " not in link_text(text)


def test_markup_around_and_inside_addresses_stays_text():
    html = link_text('<b>hi</b> https://example.com/"onmouseover="alert(1) <script>')
    assert html.startswith("&lt;b&gt;hi&lt;/b&gt; " + link("https://example.com/"))
    assert html.endswith("&#34;onmouseover=&#34;alert(1) &lt;script&gt;")
    assert html.count("<a ") == 1


def mention(name: str) -> str:
    return f'<a href="/user/{name}">@{name}</a>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("@bob hi", mention("bob") + " hi"),
        ("thanks, @Bob_2!", "thanks, " + mention("Bob_2") + "!"),
        ("(@bob) @carol's", "(" + mention("bob") + ") " + mention("carol") + "&#39;s"),
        ("@bob\n@carol", mention("bob") + "\n" + mention("carol")),
        ("<i>@bob</i>", "&lt;i&gt;" + mention("bob") + "&lt;/i&gt;"),
        ("@" + "b" * 32, mention("b" * 32)),
        (
            "@bob at https://example.com/@carol",
            mention("bob") + " at " + link("https://example.com/@carol"),
        ),
    ],
)
def test_mentions_link_to_profiles(app, text, html):
    with app.test_request_context():
        assert link_text(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "mail bob@example.com",
        "@al is too short",
        "@" + "b" * 33,
        "@@bob",
        "@bob@example.com",
        "@élan",
        "@bobé",
        "@ bob",
    ],
)
def test_text_that_only_looks_like_a_mention_is_not_linked(app, text):
    with app.test_request_context():
        assert "<a " not in link_text(text)


def test_a_mention_in_a_post_leads_to_the_profile(alice_client, alice, bob, make_post):
    post = make_post(alice, "Lunch with @BOB?")
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    # Straight to the name as its owner spells it: the link follows the stored mention.
    assert 'Lunch with <a href="/user/bob">@BOB</a>?' in page
    profile = alice_client.get("/user/BOB")
    assert profile.status_code == 302  # to the name as its owner spells it
    assert profile.headers["Location"] == "/user/bob"


@pytest.mark.parametrize("url", ["/", "/explore", "/user/alice", "permalink"])
def test_post_cards_link_addresses(alice_client, alice, make_post, url):
    post = make_post(alice, "Read https://example.com/story <i>now</i>")
    page = alice_client.get(f"/post/{post.id}" if url == "permalink" else url)
    html = page.get_data(as_text=True)
    assert "Read " + link("https://example.com/story") + " &lt;i&gt;now&lt;/i&gt;" in html


def test_about_me_links_addresses(alice_client, alice, db):
    alice.about_me = "My site: https://alice.example"
    db.session.commit()
    html = alice_client.get("/user/alice").get_data(as_text=True)
    assert "My site: " + link("https://alice.example") in html


def test_about_me_of_an_unconfirmed_account_links_nothing(client, make_user, login, db):
    """Posting needs a confirmed address; a profile advert must not get around that."""
    make_user("alice")
    spammer = make_user("spammer", confirmed=False)
    spammer.about_me = "Cheap watches: https://spam.example"
    db.session.commit()
    login("alice")
    html = client.get("/user/spammer").get_data(as_text=True)
    assert "Cheap watches: https://spam.example" in html
    assert 'href="https://spam.example"' not in html
