"""Searching posts: the same table of queries finds the same posts on SQLite and PostgreSQL
(the suite runs on both), in order, newest first or most relevant first, with only what
everyone may see."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql import TSVECTOR

from app import create_app
from app.listings.cards import mark_words
from app.models import utcnow
from app.models.search import PostSearch, search_tokens, tsvector_literal
from app.search import query
from app.search.query import (
    MAX_TERMS,
    NEWEST,
    QUERY_MAX_LENGTH,
    parse_query,
    relevance,
    relevance_score,
    search_pages,
)
from app.search.routes import NOTHING_TO_SEARCH_FOR, TOO_MANY_TERMS
from app.web.forms import CONTROL_CHARACTER_MESSAGE
from tests.helpers import TEST_DATABASE_URL, TestConfig, link

PERMALINK = re.compile(r'<a href="/post/(\d+)" class="post-permalink">')
NOTHING = "Nothing to search for"

# (author, text): the posts, oldest first; their keys are their places in this list.
CORPUS = [
    ("alice", "Café au lait at the harbour #Coffee"),  # 0
    ("bob", "cafe AU LAIT, again! #coffee #Morning"),  # 1
    ("alice", "The harbour seals are back"),  # 2
    ("bob", "seals? no, sea lions at the harbour"),  # 3
    ("carol", "harbour coffee"),  # 4: carol is suspended
    ("alice", "hidden harbour secret"),  # 5: hidden by a moderator
    ("bob", "mail bob@example.com or see https://example.com/harbour-news"),  # 6
    ("alice", "Straße, STRASSE and \uff26\uff35\uff2c\uff2c width"),  # 7: full-width FULL
    ("bob", 'quotes "and" AND OR NOT NEAR(x) * ^ : col:umn are just words'),  # 8
]
REPLY = ("alice", "@bob the seals look well", 2)  # 9: alice answers post 2

# query: the keys of the posts it finds, newest first
QUERIES = {
    "harbour": [6, 3, 2, 0],  # in a web address too: its words are words
    "HARBOUR seals": [3, 2],
    '"harbour seals"': [2],
    '"seals harbour"': [],
    "seals": [9, 3, 2],  # replies too
    "café": [1, 0],
    "CAFE": [1, 0],
    '"au lait"': [1, 0],
    '"au lait': [1, 0],  # an unclosed quote runs to the end
    "harbour -seals": [6, 0],
    'harbour -"sea lions"': [6, 2, 0],
    "coffee": [1, 0],  # carol's is left out: she is suspended
    "#coffee": [1, 0],
    "#COFFEE harbour": [0],
    "#morning": [1],
    "#coffee #morning": [1],
    "#nothing": [],
    "from:bob": [8, 6, 3, 1],
    "from:@BOB -harbour": [8, 1],
    "from:alice harbour": [2, 0],
    "from:alice from:bob seals": [9, 3, 2],
    "from:carol": [],
    "from:nobody": [],
    "secret": [],  # hidden
    "strasse": [7],  # ß folds to ss
    "full": [7],  # full-width letters fold to plain ones
    "example com": [6],
    "bob": [9, 6],
    "near x": [8],
    "AND": [8, 7],
    '"and" OR NOT': [8],
    "col:umn": [8],
    "(x) *": [8],
    "lions^": [3],
    "seals?!": [9, 3, 2],
    "sea-lions": [3],  # "sea lions" as a phrase
}
EMPTY = ["-harbour", "!!!", '""', "-", "#", "* ^ :", "-from:x"]

# query: the keys of the posts it finds, most relevant first (relevance_score: the share of a
# post's words that are searched words, in thousandths; equal shares newest first).
BY_RELEVANCE = {
    "harbour": [2, 3, 0, 6],  # 1 of 5 words (200), 1 of 7 (142, 3 is newer than 0), 1 of 11
    "HARBOUR seals": [2, 3],  # 2 of 5, 2 of 7
    "seals": [9, 2, 3],  # 9 and 2 are both 1 of 5: the newer first
    '"au lait"': [1, 0],
    "harbour -seals": [0, 6],
    "coffee": [1, 0],  # carol's "harbour coffee" (1,000) is left out: she is suspended
    "secret": [],  # hidden, however relevant
    "AND": [7, 8],  # "and" is 1 of the 5 words of 7 (200), 2 of the 12 of 8 (166)
    "from:alice from:bob seals": [9, 2, 3],
    "#coffee": [1, 0],  # no words to weigh: newest first
    "from:bob": [8, 6, 3, 1],
}

# (author, text), oldest first: posts whose scores differ by repeated words and length.
RANKED = [
    ("alice", "owl"),  # 0
    ("bob", "owl owl heron"),  # 1
    ("alice", "an owl at night"),  # 2
    ("bob", "Owl"),  # 3: the same share as 0, newer
    ("carol", "owl owl owl"),  # 4: carol is suspended
    ("alice", "owl"),  # 5: hidden by a moderator
    ("bob", "Owl! OWL? owl, heron"),  # 6
    ("alice", "#owl heron heron heron"),  # 7
]
RANKED_QUERIES = {
    "owl": [3, 0, 6, 1, 7, 2],  # 1000, 1000, 750, 666, 250, 250
    "heron": [7, 1, 6],  # 750, 333, 250
    "owl heron": [7, 6, 1],  # every word of each is searched for: newest first
    '"owl heron"': [7, 6, 1],  # the tag's word is a word too
    "owl -heron": [3, 0, 2],
    "night OWL": [2],
    "#owl heron": [7],
}


def found(client, query: str, sort: str | None = None) -> list[int]:
    """The ids of the posts the search page lists for ``query``, over all its pages."""
    ids, url = [], f"/search/posts?q={quote(query, safe='')}"
    if sort is not None:
        url += f"&sort={quote(sort, safe='')}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, (query, response.status_code)
        page = response.get_data(as_text=True)
        ids += [int(n) for n in PERMALINK.findall(page)]
        url = link(page, "next")
    return ids


def write_posts(db, make_user, make_post, alice, texts, start, step, reply=None) -> list[int]:
    """``texts`` ((author, text) pairs) posted ``step`` apart from ``start`` by alice, bob
    and carol, and ``reply`` ((author, text, parent index), 20 steps in) if given; the sixth
    post is hidden and carol suspended. Their ids, in order."""
    people = {"alice": alice, "bob": make_user("bob"), "carol": make_user("carol")}
    posts = [
        make_post(people[name], text, start + step * n) for n, (name, text) in enumerate(texts)
    ]
    if reply is not None:
        name, text, parent = reply
        posts.append(posts[parent].reply(people[name], text))
        posts[-1].timestamp = start + step * 20
    posts[5].hide(make_user("mod"))
    people["carol"].suspended_at = utcnow()
    db.session.commit()
    return [post.id for post in posts]


@pytest.fixture
def corpus(db, make_user, make_post, alice):
    """The posts of :data:`CORPUS` (and :data:`REPLY`), an hour apart; their ids by key."""
    start = utcnow() - timedelta(days=1)
    return write_posts(db, make_user, make_post, alice, CORPUS, start, timedelta(hours=1), REPLY)


@pytest.mark.parametrize(("query", "keys"), QUERIES.items())
def test_each_query_finds_the_same_posts_newest_first(app, alice_client, corpus, query, keys):
    app.config["POSTS_PER_PAGE"] = 2  # and across pages
    assert found(alice_client, query) == [corpus[key] for key in keys]


@pytest.mark.parametrize(("query", "keys"), BY_RELEVANCE.items())
def test_each_query_finds_the_same_posts_most_relevant_first(
    app, alice_client, corpus, query, keys
):
    app.config["POSTS_PER_PAGE"] = 2  # and across pages
    assert found(alice_client, query, "relevant") == [corpus[key] for key in keys]


@pytest.fixture
def ranked(db, make_user, make_post, alice):
    """The posts of :data:`RANKED`, a minute apart; their ids by key."""
    start = utcnow() - timedelta(hours=1)
    return write_posts(db, make_user, make_post, alice, RANKED, start, timedelta(minutes=1))


@pytest.mark.parametrize(("query", "keys"), RANKED_QUERIES.items())
def test_relevance_counts_repeated_words_against_the_length(app, alice_client, ranked, query, keys):
    app.config["POSTS_PER_PAGE"] = 2
    assert found(alice_client, query, "relevant") == [ranked[key] for key in keys]
    words = parse_query(query).words
    scores = [relevance_score(words, search_tokens(RANKED[key][1])) for key in keys]
    assert scores == sorted(scores, reverse=True)  # the table agrees with the rule


# Words as search_tokens gives them: "null" is SQL's NULL if an array is written unquoted.
SCORED_WORD = st.sampled_from(["owl", "heron", "null", "a", "42", "\u03c9"])


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tokens=st.lists(SCORED_WORD, min_size=1, max_size=12),
    words=st.sets(SCORED_WORD, min_size=1, max_size=3),
)
def test_the_databases_score_a_posts_words_as_the_rule_does(db, tokens, words):
    """Each database's relevance expression, on the words as its index holds them, is
    :func:`relevance_score`: repeated words, searched words not there, several words."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        terms = sa.cast(sa.literal(tsvector_literal(tokens)), TSVECTOR)
    else:
        terms = sa.literal(" ".join(tokens))
    score = relevance(dialect, frozenset(words), terms)
    assert db.session.scalar(sa.select(score)) == relevance_score(frozenset(words), tokens)


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"), reason="a tsvector")
def test_lexemes_without_positions_are_not_words_of_the_post(db):
    """Lexemes without positions (an index of word pairs would add them beside the words)
    count neither as searched words nor in the post's length: "owl heron" scores 500."""
    vector = sa.cast(sa.literal(tsvector_literal(["owl", "heron"]) + " 'owl heron' 'x'"), TSVECTOR)
    score = relevance("postgresql", frozenset(["owl"]), vector)
    assert db.session.scalar(sa.select(score)) == 500


# Phrases, oldest first: texts whose pairs of neighbouring words are all those of a longer
# phrase without the phrase itself (PostgreSQL looks phrases up by their pairs).
PHRASES = [
    "big red fox",  # 0
    "big red dog, red fox",  # 1: "big red" and "red fox", not "big red fox"
    "red fox, big red",  # 2: the same pairs the other way round
    "fox big",  # 3
    "very very good",  # 4
    "a fox: big, red, fox big red fox",  # 5: "big red fox" at the end
]
PHRASE_QUERIES = {
    '"big red fox"': [5, 0],
    '"red fox"': [5, 2, 1, 0],
    '"big red"': [5, 2, 1, 0],
    '"fox red"': [],
    '"fox big"': [5, 3, 2],
    '"fox big red fox"': [5],
    '"red fox big"': [5, 2],
    '"red fox big red"': [5, 2],
    'fox -"big red fox"': [3, 2, 1],
    '"very very"': [4],
    '"very good"': [4],
    '"very very good"': [4],
    '"very very very"': [],
    '"good very"': [],
    '"big red" "red fox"': [5, 2, 1, 0],
    '"dog red" fox': [1],
}


@pytest.fixture
def phrases(db, make_user, make_post, alice):
    """The posts of :data:`PHRASES` by alice, a minute apart; their ids by key."""
    start = utcnow() - timedelta(hours=1)
    posts = [make_post(alice, text, start + timedelta(minutes=n)) for n, text in enumerate(PHRASES)]
    return [post.id for post in posts]


@pytest.mark.parametrize(("query", "keys"), PHRASE_QUERIES.items())
def test_a_phrase_finds_its_words_in_order_and_nothing_else(
    app, alice_client, phrases, query, keys
):
    app.config["POSTS_PER_PAGE"] = 2
    assert found(alice_client, query) == [phrases[key] for key in keys]


@pytest.mark.parametrize("query", ["red", "fox", "big red", "very", "very good fox"])
def test_the_pairs_of_words_count_for_nothing_in_relevance(db, phrases, query):
    """The index holds each post's pairs of neighbouring words too (on PostgreSQL, in a column
    of their own): the database's score counts the post's words alone, as
    :func:`relevance_score` does."""
    words = parse_query(query).words
    score = relevance(db.engine.dialect.name, words)
    rows = db.session.execute(
        sa.select(PostSearch.post_id, score).where(PostSearch.post_id.in_(phrases))
    )
    expected = {
        post_id: relevance_score(words, search_tokens(text))
        for post_id, text in zip(phrases, PHRASES, strict=True)
    }
    assert dict(rows.all()) == expected


def walk_both_ways(client, url: str) -> tuple[list[list[int]], list[list[int]]]:
    """The post ids of each page from ``url`` following "next" to the end, and of each page
    back from there following "prev", both in page order."""
    forward, page = [], ""
    while url:
        page = client.get(url).get_data(as_text=True)
        forward.append([int(n) for n in PERMALINK.findall(page)])
        url = link(page, "next")
    backward = [[int(n) for n in PERMALINK.findall(page)]]
    while url := link(page, "prev"):
        page = client.get(url).get_data(as_text=True)
        backward.insert(0, [int(n) for n in PERMALINK.findall(page)])
    return forward, backward


@pytest.mark.parametrize("per_page", [1, 2, 4])
def test_relevance_pages_have_no_gaps_or_repeats_either_way(app, alice_client, ranked, per_page):
    app.config["POSTS_PER_PAGE"] = per_page
    forward, backward = walk_both_ways(alice_client, "/search/posts?q=owl&sort=relevant")
    everything = [post_id for ids in forward for post_id in ids]
    assert everything == [ranked[key] for key in RANKED_QUERIES["owl"]]
    assert forward == backward
    assert all(len(ids) == per_page for ids in forward[:-1])


def ranked_window(ranked: list[int], query: str, window: int) -> list[int]:
    """The rule for a search by relevance, written out: the newest ``window`` posts of
    :data:`RANKED` that ``query`` finds and everyone may see (carol's and the hidden one are
    not), ordered by :func:`relevance_score`, equal scores newest first."""
    words = parse_query(query).words
    visible = [key for key, (name, _) in enumerate(RANKED) if name != "carol" and key != 5]
    matching = [key for key in visible if words <= set(search_tokens(RANKED[key][1]))]
    newest = sorted(matching, reverse=True)[:window]

    def order(key: int) -> tuple[int, int]:
        return relevance_score(words, search_tokens(RANKED[key][1])), ranked[key]

    return [ranked[key] for key in sorted(newest, key=order, reverse=True)]


@pytest.mark.parametrize("window", [1, 2, 3, 4, 6, 7])
@pytest.mark.parametrize("query", ["owl", "heron", "owl heron"])
def test_relevance_ranks_the_newest_matches_only(app, alice_client, ranked, query, window):
    """Each page scores the window's matches only, so its cost stays bounded whatever the
    number of matches. Hidden posts and suspended authors' posts are left out inside the
    window: the newest matches of "owl" are carol's and a hidden post, and a window of 4 still
    holds four visible posts."""
    app.config["POSTS_PER_PAGE"] = 2
    app.config["SEARCH_RELEVANCE_WINDOW"] = window
    expected = ranked_window(ranked, query, window)
    assert len(expected) == min(window, len(RANKED_QUERIES[query]))
    assert found(alice_client, query, "relevant") == expected


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_pages_of_a_window_have_no_gaps_or_repeats_either_way(app, alice_client, ranked, per_page):
    app.config["POSTS_PER_PAGE"] = per_page
    app.config["SEARCH_RELEVANCE_WINDOW"] = 4
    forward, backward = walk_both_ways(alice_client, "/search/posts?q=owl&sort=relevant")
    assert [post_id for ids in forward for post_id in ids] == ranked_window(ranked, "owl", 4)
    assert forward == backward


def test_the_page_says_how_many_posts_are_ranked(app, alice_client, ranked):
    app.config["SEARCH_RELEVANCE_WINDOW"] = 1200
    page = alice_client.get("/search/posts?q=owl&sort=relevant").get_data(as_text=True)
    assert "takes the newest 1,200 posts found" in page
    assert "To see older posts, list them newest first." in page
    assert "newest 1,200 posts" in alice_client.get("/search/posts").get_data(as_text=True)


@pytest.mark.parametrize("sort", [None, "relevant"])
def test_a_search_run_again_uses_its_kept_statement_and_finds_new_posts(
    db, alice_client, corpus, make_post, alice, sort
):
    """Each worker keeps a search's statement, never its results."""
    before = found(alice_client, "harbour", sort)
    new = make_post(alice, "harbour", utcnow())
    assert found(alice_client, "harbour", sort) == [new.id, *before]
    order = sort or NEWEST
    pages = [search_pages(parse_query("harbour"), "sqlite", n, order) for n in (1, 2)]
    assert pages[0].listing is pages[1].listing
    assert [page.values["viewer_id"] for page in pages] == [1, 2]
    assert search_pages(parse_query("seals"), "sqlite", 1, order).listing is not pages[0].listing


def test_a_window_of_nothing_is_refused_at_start_up():
    with pytest.raises(ValueError, match="SEARCH_RELEVANCE_WINDOW"):
        create_app(type("NoWindow", (TestConfig,), {"SEARCH_RELEVANCE_WINDOW": 0}))


@pytest.mark.parametrize("sort", ["", "newest", "bogus", "RELEVANT", "relevant\x00", "1' OR 1=1"])
def test_any_other_order_is_newest_first(alice_client, corpus, sort):
    assert found(alice_client, "harbour", sort) == [corpus[key] for key in QUERIES["harbour"]]


def test_the_orders_are_links_that_keep_the_search(app, alice_client, ranked):
    app.config["POSTS_PER_PAGE"] = 2
    page = alice_client.get("/search/posts?q=owl").get_data(as_text=True)
    assert '<a href="/search/posts?q=owl" aria-current="true">Newest</a>' in page
    assert '<a href="/search/posts?q=owl&amp;sort=relevant">Most relevant</a>' in page
    assert "newest first</h2>" in page
    assert 'name="sort"' not in page
    page = alice_client.get("/search/posts?q=owl&sort=relevant").get_data(as_text=True)
    assert '<a href="/search/posts?q=owl&amp;sort=relevant" aria-current="true">' in page
    assert "most relevant first</h2>" in page
    assert "largest share of the text" in page  # the rule, on the page
    # A new search from the box keeps the order; so do the page links.
    assert '<input type="hidden" name="sort" value="relevant">' in page
    assert "sort=relevant" in link(page, "next")


def test_relevance_without_words_says_it_lists_newest_first(alice_client, corpus):
    page = alice_client.get("/search/posts?q=%23coffee&sort=relevant").get_data(as_text=True)
    assert "newest first</h2>" in page
    assert "Only words are weighed" in page


@pytest.mark.parametrize(
    "cursor", ["5", "x_1", "1001_1", "200_0", "200_99999999999", "-1_5", "200_", "٣_1"]
)
def test_a_bad_relevance_cursor_gets_the_400_page(alice_client, corpus, cursor):
    response = alice_client.get(
        "/search/posts", query_string={"q": "harbour", "sort": "relevant", "after": cursor}
    )
    assert response.status_code == 400
    assert 'href="/search/posts?q=harbour&amp;sort=relevant"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", EMPTY)
def test_text_with_nothing_to_look_for_says_so(alice_client, corpus, query):
    page = alice_client.get(f"/search/posts?q={quote(query, safe='')}").get_data(as_text=True)
    assert NOTHING_TO_SEARCH_FOR.replace('"', "&#34;") in page
    assert 'aria-invalid="true"' in page
    assert not PERMALINK.search(page)


def test_control_characters_get_the_forms_message(alice_client, corpus):
    page = alice_client.get("/search/posts?q=harbour%00%1b").get_data(as_text=True)
    assert CONTROL_CHARACTER_MESSAGE in page
    assert not PERMALINK.search(page)


def test_without_a_question_the_page_explains_the_search(alice_client):
    page = alice_client.get("/search/posts").get_data(as_text=True)
    assert "exact phrase" in page
    assert NOTHING not in page
    assert 'aria-current="page">Posts</a>' in page


def test_too_long_or_too_many_terms_get_a_message(alice_client, corpus):
    long = alice_client.get("/search/posts", query_string={"q": "a" * (QUERY_MAX_LENGTH + 1)})
    assert long.status_code == 200
    assert f"at most {QUERY_MAX_LENGTH:,} characters" in long.get_data(as_text=True)
    many = " ".join(f"w{n}" for n in range(MAX_TERMS + 1))
    page = alice_client.get("/search/posts", query_string={"q": many}).get_data(as_text=True)
    assert TOO_MANY_TERMS in page
    assert found(alice_client, " ".join(["harbour"] * (MAX_TERMS + 5))) == [
        corpus[6],
        corpus[3],
        corpus[2],
        corpus[0],
    ]  # the same word again is one term


def test_pages_go_back_the_way_they_came(app, alice_client, corpus):
    app.config["POSTS_PER_PAGE"] = 1
    page = alice_client.get("/search/posts?q=harbour").get_data(as_text=True)
    forward = [PERMALINK.findall(page)]
    while url := link(page, "next"):
        page = alice_client.get(url).get_data(as_text=True)
        forward.append(PERMALINK.findall(page))
    backward = [PERMALINK.findall(page)]
    while url := link(page, "prev"):
        page = alice_client.get(url).get_data(as_text=True)
        backward.append(PERMALINK.findall(page))
    assert forward == backward[::-1]
    assert len(forward) == 4


def test_a_bad_cursor_gets_the_400_page_with_a_way_back(alice_client, corpus):
    response = alice_client.get("/search/posts?q=harbour&after=1_x")
    assert response.status_code == 400
    assert 'href="/search/posts?q=harbour"' in response.get_data(as_text=True)


def test_matched_words_are_marked_and_nothing_else_is_markup(alice_client, make_post, alice, bob):
    make_post(alice, '<b>Harbour</b> & <script>alert("café")</script> #harbour @bob')
    page = alice_client.get("/search/posts?q=harbour+CAFE").get_data(as_text=True)
    body = re.search(r'<p class="post-body" dir="auto">(.*?)</p>', page).group(1)
    assert body == (
        "&lt;b&gt;<mark>Harbour</mark>&lt;/b&gt; &amp; &lt;script&gt;alert(&#34;<mark>café</mark>"
        '&#34;)&lt;/script&gt; <a href="/tags/harbour">#<mark>harbour</mark></a> '
        '<a href="/user/bob">@bob</a>'
    )


def test_marked_cards_are_kept_for_every_reader_and_an_edit_shows_at_once(
    db, alice_client, client_for, make_post, alice, bob
):
    post = make_post(bob, "harbour lights")
    mark_words.cache_clear()
    pages = [
        browser.get("/search/posts?q=harbour").get_data(as_text=True)
        for browser in (alice_client, client_for("bob"), alice_client)
    ]
    for page in pages:
        assert "<mark>harbour</mark> lights" in page
    # Marked once: the text comes before the card's forms, the same for a reader and for
    # its author, whose card goes on with Edit and Delete.
    assert mark_words.cache_info().misses == 1
    assert mark_words.cache_info().hits == 2
    assert [f"/post/{post.id}/edit" in page for page in pages] == [False, True, False]
    page = pages[-1]
    assert "<csrf-token>" not in page

    post.edit("harbour lights, edited")
    db.session.commit()
    page = alice_client.get("/search/posts?q=harbour").get_data(as_text=True)
    assert "<mark>harbour</mark> lights, edited" in page


def test_the_tabs_keep_the_text(alice_client):
    page = alice_client.get("/search/posts?q=al").get_data(as_text=True)
    assert '<a href="/search?q=al">People</a>' in page
    assert '<a href="/search/tags?q=al">Tags</a>' in page


@pytest.mark.parametrize(
    ("text", "phrases", "excluded", "authors", "tags"),
    [
        ("Hello  WORLD", [("hello",), ("world",)], [], [], []),
        ('"a b" -"c d" -e', [("a", "b")], [("c", "d"), ("e",)], [], []),
        ("from:Bob from:bob #Tag #TAG", [], [], ["bob"], ["tag"]),
        ("from:", [("from",)], [], [], []),
        ("#123", [("123",)], [], [], []),  # a tag needs a letter
        ("it's", [("it", "s")], [], [], []),  # one word of two tokens: a phrase
    ],
)
def test_the_query_language(text, phrases, excluded, authors, tags):
    query = parse_query(text)
    assert (list(query.phrases), list(query.excluded)) == (phrases, excluded)
    assert (list(query.authors), list(query.tags)) == (authors, tags)


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
QUERY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.text(st.sampled_from("\"-#:*^()ANDORNOT \\'\x00\x1b\u0301éß@from"), max_size=60),
    st.text(st.sampled_from('ab"-# '), min_size=QUERY_MAX_LENGTH - 5, max_size=QUERY_MAX_LENGTH),
)


@FUZZ
@given(text=QUERY_TEXT, sort=st.sampled_from(["newest", "relevant"]))
def test_any_text_is_a_query_or_a_clear_message(alice_client, corpus, text, sort):
    response = alice_client.get("/search/posts", query_string={"q": text, "sort": sort})
    assert response.status_code == 200, text
    page = response.get_data(as_text=True)
    assert ("results-heading" in page) != ('aria-invalid="true"' in page) or not text.strip()


# Phrases on CORPUS, with the hidden post and the suspended author's: the keys found.
CORPUS_PHRASES = {
    '"harbour seals"': [2],
    '"au lait"': [1, 0],
    '"at the harbour"': [3, 0],
    '"harbour coffee"': [0],  # the tag's word too; carol's is left out: she is suspended
    '"harbour secret"': [],  # hidden
    '"sea lions" harbour': [3],
    '"au lait" -"at the"': [1],
}


@pytest.mark.parametrize("recent", [1, 2, 3])
@pytest.mark.parametrize("per_page", [1, 2])
def test_phrases_read_from_the_recent_ids_first_find_the_same_pages_either_way(
    app, alice_client, corpus, phrases, monkeypatch, recent, per_page
):
    """On PostgreSQL a phrase's page may look among the ids next to its start first
    (app.search.query._recent_first, used from PHRASE_RECENT_FROM ids on): with it used at
    any size and a few ids taken as recent, every page, forward and back, is what the plain
    search gives. (SQLite's statements do not change.)"""
    monkeypatch.setattr(query, "PHRASE_RECENT_FROM", 0)
    monkeypatch.setattr(query, "PHRASE_RECENT_IDS", recent)
    query._listing.cache_clear()
    app.config["POSTS_PER_PAGE"] = per_page
    try:
        expected = {text: [corpus[key] for key in keys] for text, keys in CORPUS_PHRASES.items()}
        expected |= {text: [phrases[key] for key in keys] for text, keys in PHRASE_QUERIES.items()}
        for text, ids in expected.items():
            forward, backward = walk_both_ways(
                alice_client, f"/search/posts?q={quote(text, safe='')}"
            )
            assert [post_id for page in forward for post_id in page] == ids, text
            assert forward == backward, text
    finally:
        query._listing.cache_clear()
