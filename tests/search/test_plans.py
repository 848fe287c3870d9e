"""On PostgreSQL, search and tag pages read whether everyone may see a post only for the posts
they list (and those skipped on the way), never for every match: the ids come first, in order,
then one probe of ``post`` each (app.search.query.visible_in_order). Checked with EXPLAIN
ANALYZE, whose loop counts do not depend on the planner's estimates."""

import json

import pytest
import sqlalchemy as sa

from app.listings.keyset import keyset_page
from app.models.search import PostSearch
from app.search import query
from app.search.query import NEWEST, RELEVANT, parse_query, phrase_match, search_pages
from app.search.tags import tag_cards, tag_named
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="reads PostgreSQL query plans"
)
HIDDEN = 3


@pytest.fixture
def owls(db, alice, make_post, make_staff):
    """60 posts "owl number N #owl" by alice, the newest HIDDEN of them hidden."""
    posts = [make_post(alice, f"owl number {n} #owl") for n in range(60)]
    mod = make_staff("mod", "moderator")
    for post in posts[-HIDDEN:]:
        post.hide(mod)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    return posts


def first_page_plan(db, listing, per_page: int) -> tuple[list, dict]:
    """The first page of ``listing`` (its one statement) and that statement's analysed plan."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = keyset_page(listing, per_page)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    ((sql, params),) = statements
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
    plan = cursor.fetchone()[0]
    return page.items, json.loads(plan) if isinstance(plan, str) else plan


def visibility_probes(db, listing, per_page: int) -> int:
    """How many times the first page of ``listing`` read a post to see if it may be shown."""
    items, plan = first_page_plan(db, listing, per_page)
    assert len(items) == per_page
    # "shown_recent": the window's probes of the newest posts (post_search_recent).
    shown = ("shown", "shown_recent")
    probes = [node for node in nodes(plan[0]["Plan"]) if node.get("Alias") in shown]
    return sum(node["Actual Loops"] for node in probes)


def nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


@pytest.mark.parametrize("text", ["owl", '"owl number"', "owl -heron"])
def test_a_search_reads_the_visibility_of_the_pages_posts_only(db, alice, owls, text):
    pages = search_pages(parse_query(text), "postgresql", alice.id, NEWEST)
    # A page of 5 reads 6 rows (one more says whether there is a next page); the hidden
    # posts are the newest matches, passed over on the way.
    assert visibility_probes(db, pages, 5) == 6 + HIDDEN


def test_most_relevant_reads_the_visibility_of_the_windows_posts_only(db, alice, owls):
    pages = search_pages(parse_query("owl"), "postgresql", alice.id, RELEVANT, window=20)
    assert visibility_probes(db, pages, 5) == 20 + HIDDEN


def test_a_tag_page_reads_the_visibility_of_its_posts_only(db, make_user, owls):
    reader = make_user("reader")  # alice would see her hidden posts
    assert visibility_probes(db, tag_cards(tag_named("owl"), reader), 5) == 6 + HIDDEN


def index_conditions(db, sql: str) -> dict[str, str]:
    """The indexes the plan of ``sql`` reads, with what it asks each, when only bitmap scans
    are allowed (these tables are too small for the planner to choose the GIN indexes)."""
    connection = db.session.connection()
    for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
        connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return {
        node["Index Name"]: node["Index Cond"]
        for node in nodes(plan[0]["Plan"])
        if "Index Name" in node
    }


@pytest.mark.parametrize(
    ("text", "pairs_index"),
    [
        ("owl", False),
        ('"owl number"', True),
        ('"owl number" "number 5"', True),
        ('"owl number" 5', None),  # the planner's choice: by "5" alone, or both
    ],
)
def test_a_phrase_is_looked_up_in_the_pairs_index_not_by_its_words(db, owls, text, pairs_index):
    """The words' lists of a phrase are never intersected (two common words': thousands of
    posts at XL); a single word of the query may still be looked up by itself."""
    phrases = parse_query(text).phrases
    matches = sa.select(PostSearch.post_id).where(phrase_match(phrases))
    sql = str(matches.compile(db.engine, compile_kwargs={"literal_binds": True}))
    read = index_conditions(db, sql)
    assert read
    assert "<->" not in read.get("ix_post_search_terms", "")
    if pairs_index is not None:
        assert ("ix_post_search_pairs" in read) is pairs_index
    db.session.rollback()
    assert db.session.scalars(matches).all()  # the statement runs, and finds posts


@pytest.fixture
def recent_ids(monkeypatch):
    """Phrases read the recent ids first at any size, the newest 40 ids being recent."""
    monkeypatch.setattr(query, "PHRASE_RECENT_FROM", 0)
    monkeypatch.setattr(query, "PHRASE_RECENT_IDS", 40)
    query._listing.cache_clear()  # statements are built with the values in their text
    yield
    query._listing.cache_clear()


def parts_read(db, listing, per_page: int) -> list[int]:
    """How many times each part of the UNION ALL of a phrase's first page read
    ``post_search`` (the newest id's look-ups left out)."""
    _, plan = first_page_plan(db, listing, per_page)
    (append,) = [node for node in nodes(plan[0]["Plan"]) if node["Node Type"] == "Append"]
    return [
        sum(node["Actual Loops"] for node in outside_init_plans(part) if is_search_scan(node))
        for part in append["Plans"]
    ]


def outside_init_plans(node: dict):
    yield node
    for child in node.get("Plans", []):
        if child.get("Parent Relationship") != "InitPlan":
            yield from outside_init_plans(child)


def is_search_scan(node: dict) -> bool:
    return node.get("Relation Name") == "post_search" and "Scan" in node["Node Type"]


def test_a_phrase_reads_the_recent_ids_first_and_stops_there(db, alice, owls, recent_ids):
    """The 40 newest ids hold the page's posts (3 hidden, then 6): the whole search, the
    second part, is never run."""
    pages = search_pages(parse_query('"owl number"'), "postgresql", alice.id, NEWEST)
    recent, rest = parts_read(db, pages, 5)
    assert recent > 0
    assert rest == 0


def test_a_phrase_reads_the_rest_when_the_recent_ids_hold_too_few(db, alice, owls, monkeypatch):
    monkeypatch.setattr(query, "PHRASE_RECENT_FROM", 0)
    monkeypatch.setattr(query, "PHRASE_RECENT_IDS", 4)  # 3 hidden posts and one to show
    query._listing.cache_clear()
    try:
        pages = search_pages(parse_query('"owl number"'), "postgresql", alice.id, NEWEST)
        recent, rest = parts_read(db, pages, 5)
    finally:
        query._listing.cache_clear()
    assert recent > 0
    assert rest > 0


def test_below_the_size_that_pays_a_phrase_reads_its_matches_whole(db, alice, owls):
    """Below PHRASE_RECENT_FROM ids the first part is never run: the search as before."""
    pages = search_pages(parse_query('"owl number"'), "postgresql", alice.id, NEWEST)
    recent, rest = parts_read(db, pages, 5)
    assert recent == 0
    assert rest > 0
