"""``post_search_recent``, the newest posts' words with a GIN index of their own, where a search
by relevance finds its window on PostgreSQL: its triggers keep it the newest rows of
``post_search`` with no gap, and the window is the same whether the table holds every match,
some or none (the rest come from ``post_search``). SQLite leaves it empty."""

import json

import pytest
import sqlalchemy as sa

from app.listings.keyset import keyset_page
from app.models import Post, PostSearch, PostSearchRecent
from app.models.search import (
    RECENT_POSTS,
    RECENT_TRIM_EVERY,
    drop_recent_triggers,
    refill_recent,
    search_tokens,
)
from app.search.query import RELEVANT, parse_query, relevance_score, search_pages
from tests.helpers import TEST_DATABASE_URL
from tests.search.test_plans import nodes
from tests.search.test_post_search import (
    RANKED,
    RANKED_QUERIES,
    found,
    ranked,  # noqa: F401  (a fixture)
)

POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
postgres_only = pytest.mark.skipif(not POSTGRES, reason="the table is kept on PostgreSQL only")


def recent_rows(db) -> dict[int, str]:
    """``post_search_recent``'s rows: post id, words as text."""
    terms = sa.cast(PostSearchRecent.terms, sa.Text)
    return dict(db.session.execute(sa.select(PostSearchRecent.post_id, terms)).all())


def search_rows(db, low: int = 0) -> dict[int, str]:
    """``post_search``'s rows from post ``low`` on: post id, words as text."""
    terms = sa.cast(PostSearch.terms, sa.Text)
    query = sa.select(PostSearch.post_id, terms).where(PostSearch.post_id >= low)
    return dict(db.session.execute(query).all())


def has(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase``'s words are in ``tokens``, in order, next to each other."""
    return any(
        tuple(tokens[n : n + len(phrase)]) == phrase for n in range(len(tokens) - len(phrase) + 1)
    )


def window_rule(ids: list[int], text: str, window: int) -> list[int]:
    """The rule for a search by relevance (as ``ranked_window``), with phrases and excluded
    words: the newest ``window`` visible posts of :data:`RANKED` (their ``ids``) that have
    every phrase and none of the excluded, by :func:`relevance_score`, equal scores newest
    first."""
    query = parse_query(text)
    visible = [key for key, (name, _) in enumerate(RANKED) if name != "carol" and key != 5]
    tokens = {key: search_tokens(RANKED[key][1]) for key in visible}
    matching = [
        key
        for key in visible
        if all(has(tokens[key], phrase) for phrase in query.phrases)
        and not any(has(tokens[key], phrase) for phrase in query.excluded)
    ]
    newest = sorted(matching, reverse=True)[:window]

    def order(key: int) -> tuple[int, int]:
        return relevance_score(query.words, tokens[key]), ids[key]

    return [ids[key] for key in sorted(newest, key=order, reverse=True)]


def keep_from(db, low: int) -> None:
    """Leave only the rows from post ``low`` on, as a trim would."""
    db.session.execute(sa.delete(PostSearchRecent).where(PostSearchRecent.post_id < low))
    db.session.commit()


@pytest.mark.skipif(POSTGRES, reason="SQLite only")
def test_sqlite_leaves_the_table_empty(db, alice, make_post):
    make_post(alice, "owl heron")
    assert recent_rows(db) == {}


@postgres_only
def test_new_edited_and_deleted_posts_keep_it_in_step(db, alice, make_post):
    posts = [make_post(alice, f"owl number {n}") for n in range(5)]
    assert recent_rows(db) == search_rows(db)
    posts[1].body = "heron now"
    db.session.commit()
    assert recent_rows(db)[posts[1].id] == "'heron':1 'now':2"
    db.session.delete(posts[2])
    db.session.commit()
    assert posts[2].id not in recent_rows(db)
    assert recent_rows(db) == search_rows(db)


@postgres_only
def test_an_old_posts_edit_leaves_no_gap(db, alice, make_post):
    """A post below the lowest id kept is not copied when edited: the posts between it and
    the others are not there, and a search would skip them."""
    posts = [make_post(alice, f"owl number {n}") for n in range(5)]
    keep_from(db, posts[3].id)
    posts[0].body = "owl edited"
    db.session.commit()
    assert sorted(recent_rows(db)) == [posts[3].id, posts[4].id]
    # The lowest kept post edited: taken out (by its row's delete) and not copied again; its
    # row stays in post_search, below the new lowest id.
    posts[3].body = "owl edited too"
    db.session.commit()
    assert sorted(recent_rows(db)) == [posts[4].id]
    assert recent_rows(db) == search_rows(db, posts[4].id)


@postgres_only
def test_it_is_trimmed_to_the_newest_posts(db, alice):
    """When a post whose id is a multiple of RECENT_TRIM_EVERY is indexed, the rows more than
    RECENT_POSTS ids older go."""
    ids = [5, RECENT_TRIM_EVERY * 2 + 1, RECENT_POSTS + RECENT_TRIM_EVERY]
    for post_id in ids:
        db.session.add(Post(id=post_id, body=f"owl {post_id}", author=alice))
        db.session.commit()
    # The third's id is a multiple: everything up to its id - RECENT_POSTS went.
    assert sorted(recent_rows(db)) == ids[1:]
    assert search_rows(db).keys() == set(ids)


@postgres_only
def test_refill_makes_the_rows_and_triggers_again(db, alice, make_post):
    connection = db.session.connection()
    drop_recent_triggers(connection)
    db.session.commit()
    posts = [make_post(alice, f"owl number {n}") for n in range(3)]
    assert recent_rows(db) == {}
    refill_recent(db.session.connection())
    db.session.commit()
    assert recent_rows(db) == search_rows(db)
    posts.append(make_post(alice, "owl again"))
    assert recent_rows(db) == search_rows(db)


def word_counts(db) -> dict[int, int | None]:
    """``post_search_recent``'s stored number of words of each post."""
    query = sa.select(PostSearchRecent.post_id, PostSearchRecent.word_count)
    return dict(db.session.execute(query).all())


def expected_counts(posts: list[Post]) -> dict[int, int | None]:
    """Each post's number of words (a word written twice counts twice; none: NULL)."""
    return {post.id: len(search_tokens(post.body)) or None for post in posts}


@postgres_only
def test_each_rows_number_of_words_is_stored_whoever_writes_it(db, alice, make_post):
    """Written by the triggers (new, edited) or by a refill, each row holds its post's number
    of words, which the score's share is taken of (``relevance_score``'s length)."""
    texts = ["owl", "owl owl heron", "the owl and the heron and the owl", "!!"]
    posts = [make_post(alice, text) for text in texts]
    assert word_counts(db) == expected_counts(posts)
    posts[2].body = "owl heron owl heron"  # not the lowest id, whose edit takes it out
    db.session.commit()
    # The trigger's own update of the words (nothing in the app does it today) counts again.
    db.session.execute(
        sa.text("UPDATE post_search SET terms = CAST(:terms AS tsvector) WHERE post_id = :id"),
        {"terms": "'owl':1 'heron':2", "id": posts[1].id},
    )
    db.session.commit()
    assert word_counts(db) == {**expected_counts(posts), posts[1].id: 2}
    drop_recent_triggers(db.session.connection())
    refill_recent(db.session.connection())
    db.session.commit()
    assert word_counts(db) == {**expected_counts(posts), posts[1].id: 2}


@postgres_only
@pytest.mark.parametrize("query", ["owl", "heron", "owl heron", '"owl heron"', "owl -heron"])
def test_the_window_is_the_same_whatever_the_table_holds(
    app,
    db,
    alice_client,
    ranked,  # noqa: F811
    query,
):
    """The newest matches from the table, the rest from ``post_search`` below its lowest id:
    the rule's window at every size, with the table cut at every post (carol's and the
    hidden post among them) and empty (no row: every post is read from ``post_search``)."""
    app.config["POSTS_PER_PAGE"] = 2
    for low in [*ranked, max(ranked) + 1]:
        keep_from(db, low)
        for window in (1, 2, 3, 4, 6, 7):
            app.config["SEARCH_RELEVANCE_WINDOW"] = window
            expected = window_rule(ranked, query, window)
            assert len(expected) == min(window, len(RANKED_QUERIES[query]))
            assert found(alice_client, query, "relevant") == expected, (low, window)


@postgres_only
def test_the_window_comes_from_the_recent_index_and_the_walk_does_not_run(
    db,
    alice,
    ranked,  # noqa: F811
):
    """With the window among the newest posts, the plan reads ``post_search_recent``'s GIN
    index (sequential scans off: the table is tiny) and never executes the walk of
    ``post_search``."""
    pages = search_pages(parse_query("owl"), "postgresql", alice.id, RELEVANT, window=3)
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert len(keyset_page(pages, 2).items) == 2
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    ((sql, params),) = statements
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    read = [
        (node.get("Index Name", node.get("Relation Name")), node["Actual Loops"])
        for node in nodes(plan[0]["Plan"])
        if "Relation Name" in node or "Index Name" in node
    ]
    assert ("ix_post_search_recent_terms", 1) in read
    walked = [loops for name, loops in read if name in ("post_search", "pk_post_search")]
    assert walked
    assert walked == [0] * len(walked)
