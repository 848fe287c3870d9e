"""Newest-first searches of words on PostgreSQL: words rare among the newest posts are read from
``post_search_recent`` first, then from ``post_search`` below its lowest id, and every page,
forward and back, is the plain search's whatever the table holds; words common there walk
``post_search`` as before. The choice is made from the table's statistics; phrases of two
words or more, besides, only where the table holds a page of their matches and a small part
of the index (``PHRASE_TABLE_FROM``)."""

import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from app.listings.keyset import keyset_page
from app.models import MAX_ID
from app.models.search import search_tokens
from app.search import query
from app.search.query import NEWEST, parse_query, search_pages
from tests.search.test_plans import nodes
from tests.search.test_post_search import (
    RANKED,
    RANKED_QUERIES,
    ranked,  # noqa: F401  (a fixture)
    walk_both_ways,
)
from tests.search.test_recent import has, keep_from, postgres_only


def newest_rule(ids: list[int], text: str) -> list[int]:
    """The rule, written out: the posts of :data:`RANKED` (their ``ids``) everyone may see
    (carol is suspended, the sixth is hidden) with every phrase of ``text`` and none of its
    excluded ones, newest first."""
    parsed = parse_query(text)
    visible = [key for key, (name, _) in enumerate(RANKED) if name != "carol" and key != 5]
    tokens = {key: search_tokens(RANKED[key][1]) for key in visible}
    return [
        ids[key]
        for key in sorted(visible, reverse=True)
        if all(has(tokens[key], phrase) for phrase in parsed.phrases)
        and not any(has(tokens[key], phrase) for phrase in parsed.excluded)
    ]


@pytest.fixture
def shares(monkeypatch):
    """The words' shares of the newest posts as the statistics would give them: a dict the
    test fills (empty: every word is rarer than any listed). The index is taken as small
    (newest id 0) unless the test says otherwise (:func:`large_index`)."""
    given: dict[str, float] = {}
    monkeypatch.setattr(query, "recent_word_shares", lambda: given)
    monkeypatch.setattr(query, "newest_indexed_id", lambda: 0)
    query._listing.cache_clear()
    yield given
    query._listing.cache_clear()


def large_index(monkeypatch, newest: int | None = None, held: int | None = None) -> None:
    """Take the search index as holding ``newest`` posts (default
    :data:`~app.search.query.PHRASE_RECENT_FROM`), and the recent table as holding ``held``
    matches of any phrase (default: a page)."""
    newest = query.PHRASE_RECENT_FROM if newest is None else newest
    monkeypatch.setattr(query, "newest_indexed_id", lambda: newest)
    monkeypatch.setattr(
        query, "recent_phrase_matches", lambda _query, page: page if held is None else held
    )


@pytest.mark.parametrize(
    ("text", "recent"),
    [
        ("report", True),  # not listed: rarer than every listed word
        ("base", True),
        ("music", False),
        ("base owl", True),  # 0.009 x 0.5
        ("music owl", False),  # 0.03 x 0.5
        ("base -music", True),  # words left out do not count
        ('"base camp"', False),  # a phrase in a small index: its pairs' own path
        ("report #tea", False),  # with a tag or a name the statement is joined
        ("report from:bob", False),
    ],
)
def test_words_rare_among_the_newest_posts_read_the_recent_table(shares, text, recent):
    shares.update({"music": 0.03, "base": 0.009, "owl": 0.5})
    assert query._rare_among_recent(parse_query(text)) is recent


@pytest.mark.parametrize(
    ("text", "recent"),
    [
        ('"base camp"', True),  # camp is not listed
        ('"base owl"', True),  # 0.009 x 0.5
        ('"music owl"', False),  # 0.03 x 0.5
        ('"music owl" base', True),  # 0.03 x 0.5 x 0.009
        ('"base camp" #tea', False),
    ],
)
def test_in_a_large_index_phrases_rare_among_the_newest_posts_read_it_too(
    db, shares, monkeypatch, text, recent
):
    shares.update({"music": 0.03, "base": 0.009, "owl": 0.5})
    large_index(monkeypatch)
    assert query._rare_among_recent(parse_query(text)) is recent


@pytest.mark.parametrize(
    ("newest", "held", "recent"),
    [
        (query.PHRASE_TABLE_FROM, 26, True),  # L: a page of them in the table
        (query.PHRASE_TABLE_FROM, 25, False),  # L: too few, read by its pairs
        (query.PHRASE_TABLE_FROM, 0, False),  # no match there
        (query.PHRASE_TABLE_FROM - 1, 26, False),  # S: the table holds most posts
        (query.PHRASE_RECENT_FROM, 26, True),  # XL
        (query.PHRASE_RECENT_FROM, 25, False),
    ],
)
def test_a_phrase_reads_the_recent_table_first_if_it_holds_a_page(
    app, db, shares, monkeypatch, newest, held, recent
):
    """A page of 25 reads 26 rows (one more says if there is a next page)."""
    app.config["POSTS_PER_PAGE"] = 25
    large_index(monkeypatch, newest, held)
    assert query._rare_among_recent(parse_query('"base camp"')) is recent
    shares.update({"base": 0.2, "camp": 0.2})  # words common among the newest posts
    assert not query._rare_among_recent(parse_query('"base camp"'))


@postgres_only
def test_the_recent_table_s_matches_of_a_phrase_are_counted_up_to_a_page(app, db, alice, make_post):
    """Every phrase of the query and none of its excluded ones, hidden posts too, counted up
    to the page's rows; kept ten minutes per search."""
    posts = [make_post(alice, text) for text in ["owl heron", "heron owl", "an owl heron", "owl"]]
    posts[2].hidden_at = posts[2].timestamp
    db.session.commit()

    def held(text: str, page: int = 5) -> int:
        return query.recent_phrase_matches(parse_query(text), page)

    assert held('"owl heron"') == 2
    assert held('"owl heron"', page=1) == 1
    assert held('"owl heron" -an') == 1
    assert held('"heron owl"') == 1
    assert held('"owl heron" "heron owl"') == 0
    assert held('"night owl"') == 0
    make_post(alice, "owl heron")
    assert held('"owl heron"') == 2  # kept: ten minutes old at most
    query._RECENT_PHRASES.clear(app)
    assert held('"owl heron"') == 3


def test_the_newest_indexed_id_is_read_once_in_a_while(app, db, alice, make_post):
    assert query.newest_indexed_id() == 0
    post = make_post(alice, "owl")
    assert query.newest_indexed_id() == 0  # kept: ten minutes old at most
    query._NEWEST_INDEXED.clear(app)
    assert query.newest_indexed_id() == post.id


def test_without_statistics_words_walk_as_before(monkeypatch):
    """A table never analysed, or a database migrated to before it (where the table does
    not exist): no statistics, so the statement that does not read it."""
    monkeypatch.setattr(query, "recent_word_shares", lambda: None)
    assert not query._rare_among_recent(parse_query("report"))


@postgres_only
@pytest.mark.parametrize("per_page", [1, 2, 3])
@pytest.mark.parametrize(
    "text",
    ["owl", "heron", "owl heron", "owl -heron", "night OWL", '"owl heron"', '"owl owl" -night'],
)
@pytest.mark.parametrize("recent_ids_from", [0, MAX_ID])
def test_pages_are_the_same_whatever_the_table_holds(
    app,
    db,
    alice_client,
    ranked,  # noqa: F811
    shares,
    monkeypatch,
    text,
    per_page,
    recent_ids_from,
):
    """Read from the recent table first (no statistics: every word is rare), every page
    forward and back is the rule's, with the table holding every post, cut at every post
    (the hidden post and the suspended author's within it or below; pages whose cursor is
    below its lowest id) and empty. Phrases below it are read by their pairs: in a large
    index the ids next to the page's start first (two of them here:
    :func:`app.search.query._recent_first`), in a smaller one all of them (``MAX_ID``)."""
    monkeypatch.setattr(query, "PHRASE_RECENT_FROM", recent_ids_from)
    monkeypatch.setattr(query, "PHRASE_RECENT_IDS", 2)
    large_index(monkeypatch, newest=query.PHRASE_TABLE_FROM)
    app.config["POSTS_PER_PAGE"] = per_page
    assert query._rare_among_recent(parse_query(text))
    expected = newest_rule(ranked, text)
    assert len(expected) == len(RANKED_QUERIES.get(text, expected))
    for low in [*ranked, max(ranked) + 1]:
        keep_from(db, low)
        forward, backward = walk_both_ways(alice_client, f"/search/posts?q={quote(text)}")
        assert [post_id for page in forward for post_id in page] == expected, low
        assert forward == backward, low


def read_nodes(db, pages, position=None) -> list[tuple[str, int]]:
    """The relations and indexes the page of 2 from ``position`` reads (sequential scans
    off: the tables are tiny), each with how many times it was run."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        keyset_page(pages, 2, position)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    ((sql, params),) = statements
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return [
        (node.get("Index Name", node.get("Relation Name")), node["Actual Loops"])
        for node in nodes(plan[0]["Plan"])
        if "Relation Name" in node or "Index Name" in node
    ]


def loops(read: list[tuple[str, int]], *names: str) -> list[int]:
    return [count for name, count in read if name in names]


@postgres_only
def test_a_page_the_table_holds_never_walks_post_search(
    db,
    alice,
    ranked,  # noqa: F811
    shares,
):
    pages = search_pages(parse_query("owl"), "postgresql", alice.id, NEWEST)
    read = read_nodes(db, pages)
    assert ("ix_post_search_recent_terms", 1) in read
    walked = loops(read, "post_search", "pk_post_search")
    assert walked
    assert walked == [0] * len(walked)


POST_SEARCH_READS = (
    "post_search",
    "pk_post_search",
    "ix_post_search_pairs",
    "ix_post_search_terms",
    "ix_post_search_post_id_brin",
)


@postgres_only
@pytest.mark.parametrize("held", [None, 0])
def test_a_phrase_s_page_the_table_holds_never_reads_post_search(
    db,
    alice,
    ranked,  # noqa: F811
    shares,
    monkeypatch,
    held,
):
    """Counted as a page in the recent table (``held`` None), a phrase in an index of L's
    size never reads ``post_search`` (the table holds its three matches: a page of two and
    one more); counted as none, it does not read the table."""
    large_index(monkeypatch, newest=query.PHRASE_TABLE_FROM, held=held)
    pages = search_pages(parse_query('"owl heron"'), "postgresql", alice.id, NEWEST)
    read = read_nodes(db, pages)
    searched = loops(read, *POST_SEARCH_READS)
    if held is None:
        assert ("ix_post_search_recent_terms", 1) in read
        assert searched == [0] * len(searched)
    else:
        assert loops(read, "post_search_recent", "ix_post_search_recent_terms") == []
        assert max(searched) >= 1


@postgres_only
def test_a_cursor_below_the_table_skips_it(
    db,
    alice,
    ranked,  # noqa: F811
    shares,
):
    keep_from(db, ranked[6])
    pages = search_pages(parse_query("owl"), "postgresql", alice.id, NEWEST)
    read = read_nodes(db, pages, str(ranked[3]))
    assert loops(read, "ix_post_search_recent_terms") == [0]
    assert max(loops(read, "post_search", "pk_post_search")) >= 1


@postgres_only
def test_a_word_in_most_newest_posts_walks_post_search(db, alice, make_post):
    """Read from the statistics: after ANALYZE, 'owl' is in every recent post, 'heron' in a
    few; the first walks ``post_search``'s key, the second reads the recent table."""
    for n in range(120):
        make_post(alice, f"owl {n}" + (" heron" if n == 7 else ""))
    db.session.execute(sa.text("ANALYZE post_search_recent"))
    db.session.commit()
    assert query.recent_word_shares()["owl"] == pytest.approx(1.0)
    assert not query._rare_among_recent(parse_query("owl"))
    assert query._rare_among_recent(parse_query("heron"))
