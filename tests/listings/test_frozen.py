"""Listings run their page statements as SQL text made once (app.listings.frozen): the items
must be those the statement gives through the session, on every listing, both databases."""

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import BindTyping

from app.extensions import db as _db
from app.listings.bundles import TupleBundle
from app.listings.frozen import FROZEN, FrozenStatements, fetch_items, freeze, frozen_bundle
from app.listings.keyset import keyset_page
from app.listings.likes import liked_posts, liker_cards
from app.listings.moderation import report_queue
from app.listings.notifications import notification_lines
from app.listings.people import cards_named_like, follower_cards, following_cards
from app.listings.posts import POST_CARD, PostCard, card_select, explore_cards, profile_cards
from app.listings.threads import thread_replies
from app.listings.timeline import home_timeline
from app.models import Post, Report, like
from app.models.notifications import ALL_KINDS, LIKE, REPLY, notify
from app.models.search import search_tokens
from app.search.query import NEWEST, RELEVANT, parse_query, search_pages
from app.search.tags import tag_cards, tag_named

START = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def town(db, make_user, make_post, make_reply):
    """Six people, their follows, posts (one hidden, one by a suspended account), a thread,
    likes, notifications and a tag: something on every listing, and more than a page."""
    ana, bo, cy, di, ed, fay = (make_user(name) for name in ("ana", "bo", "cy", "di", "ed", "fay"))
    for other in (bo, cy, di, ed, fay):
        ana.follow(other)
        other.follow(ana)
    db.session.commit()
    posts = [
        make_post(author, f"post {n} by {author.username} #birds", START + timedelta(minutes=n))
        for n, author in enumerate((bo, cy, di, ed, fay, bo, cy, ana) * 2)
    ]
    root = posts[0]
    answers = [
        make_reply(root, author, f"@bo reply {n}", START + timedelta(hours=1, minutes=n))
        for n, author in enumerate((cy, di, ana, ed, cy))
    ]
    make_reply(answers[0], di, "@cy deeper", START + timedelta(hours=2))
    for post in (*posts[:6], answers[1]):
        like(ana, post)
        like(cy, post)
        notify(post.user_id, ana.id, LIKE, post.id)
    for liker in (di, ed, fay):
        like(liker, root)
    for answer in answers:
        notify(bo.id, answer.user_id, REPLY, answer.id)
    posts[2].hidden_at = START + timedelta(days=1)
    posts[3].edited_at = START + timedelta(days=1)
    ed.suspended_at = START + timedelta(days=1)
    db.session.commit()
    return {"ana": ana, "bo": bo, "root": root, "tag": tag_named("birds")}


LISTINGS = {
    "home": lambda t: home_timeline(t["ana"]),
    "explore": lambda t: explore_cards(t["ana"]),
    "explore, logged out": lambda t: explore_cards(None),
    "profile": lambda t: profile_cards(t["bo"], t["ana"]),
    "profile with replies": lambda t: profile_cards(t["bo"], t["ana"], with_replies=True),
    "followers": lambda t: follower_cards(t["ana"], t["bo"]),
    "following": lambda t: following_cards(t["ana"], t["bo"]),
    "liked by": lambda t: liker_cards(t["root"], t["bo"]),
    "likes tab": lambda t: liked_posts(t["ana"]),
    "thread": lambda t: thread_replies(t["root"], t["ana"]),
    "notifications": lambda t: notification_lines(t["bo"], ALL_KINDS),
    "people named": lambda t: cards_named_like("", t["bo"]),
    "tag page": lambda t: tag_cards(t["tag"], t["ana"]),
    "search": lambda t: _search("post", t),
    "search, most relevant": lambda t: _search("post", t, RELEVANT),
    "search, a phrase": lambda t: _search('"by bo"', t),
    "search, a word left out": lambda t: _search("post -cy", t, RELEVANT),
    "search, from two people": lambda t: _search("post from:bo from:cy", t, RELEVANT),
    "search, a tag": lambda t: _search("#birds", t),
    "search, a tag and a word": lambda t: _search("#birds by", t, RELEVANT),
}


def _search(text: str, town: dict, order: str = NEWEST, window: int = 250):
    dialect = _db.engine.dialect.name
    return search_pages(parse_query(text), dialect, town["ana"].id, order, window)


def _types(value) -> object:
    # The types of an item's values, those of a card within it too (True == 1).
    if isinstance(value, tuple):
        return (type(value), *map(_types, value))
    return type(value)


@pytest.mark.parametrize("name", LISTINGS)
def test_items_are_those_of_the_statement_through_the_session(db, town, name):
    # Every column of its type (a like is True, not 1; times are UTC), in both directions,
    # from the start and from a position.
    pages = LISTINGS[name](town)
    first = keyset_page(pages, 3)
    assert first.items
    assert first.next_cursor is not None
    positions = [None, pages.keyset.decode(first.next_cursor)]
    dialect = db.session.connection().dialect
    for position in positions:
        for reverse in (False, True):
            statement, values = pages(position, reverse, 4)
            frozen = FROZEN.get(statement, values, pages.listing.literal, dialect)
            # Run on the driver itself (app.listings.frozen.DriverText), not through SQLAlchemy.
            assert frozen is not None
            assert frozen.driver is not None
            items = pages.listing.fetch(statement, values)
            through_session = list(db.session.scalars(statement, values).unique())
            assert items == through_session
            assert list(map(_types, items)) == list(map(_types, through_session))
            for item in items:
                card = getattr(item, "card", item)
                if isinstance(card, PostCard):
                    assert type(card.viewer_liked) is bool
                    assert card.timestamp.tzinfo is not None


def test_a_frozen_statement_is_made_once(db, town):
    pages = explore_cards(town["ana"])
    statement, values = pages(None, False, 4)
    dialect = db.session.connection().dialect
    made = FROZEN.get(statement, values, (), dialect)
    assert made is FROZEN.get(statement, {**values, "viewer_id": town["bo"].id}, (), dialect)
    # Its text is the statement's: the reader is a parameter, the page size too.
    assert "viewer_id" in made.names
    assert "page_limit" in made.names


def test_a_process_keeps_a_bounded_number_of_texts(db, town):
    # One-off listings build a new statement per page: the oldest texts make room.
    kept = FrozenStatements(size=2)
    dialect = db.session.connection().dialect
    listings = [
        explore_cards(town["ana"]),
        profile_cards(town["bo"]),
        follower_cards(town["ana"], town["bo"]),
    ]
    statements = [pages(None, False, 4) for pages in listings]
    first = kept.get(*statements[0], (), dialect)
    for statement, values in statements[1:]:
        assert kept.get(statement, values, (), dialect) is not None
    assert len(kept) == 2
    again = kept.get(*statements[0], (), dialect)
    assert again is not first
    assert again.text.element.text == first.text.element.text


def test_values_written_into_the_text_make_texts_of_their_own(db, town):
    pages = home_timeline(town["ana"])
    dialect = db.session.connection().dialect
    literal = pages.listing.literal
    small, values = pages(None, False, 3)
    large, more = pages(None, False, 5)
    assert small is large
    three, five = (FROZEN.get(small, v, literal, dialect) for v in (values, more))
    assert three is not five
    assert "page_size" not in three.names
    assert len(pages.listing.fetch(small, values)) == 3
    assert len(pages.listing.fetch(large, more)) == 5


@pytest.mark.parametrize("order", [NEWEST, RELEVANT])
def test_two_searches_give_their_own_results_from_their_own_texts(db, town, order):
    # The words are written into PostgreSQL's texts: a text kept for one search must never
    # serve another. Run in turns, each twice, so that the second runs read kept texts.
    dialect = db.session.connection().dialect
    searches = {"cy": _search("cy", town, order), "di": _search("di", town, order)}
    assert searches["cy"].listing is not searches["di"].listing
    found = {word: [] for word in searches}
    for _ in range(2):
        for word, pages in searches.items():
            statement, values = pages(None, False, 30)
            assert FROZEN.get(statement, values, pages.listing.literal, dialect) is not None
            items = pages.listing.fetch(statement, values)
            assert items == list(db.session.scalars(statement, values).unique())
            found[word].append([item.card.id for item in items])
    for word, (first, again) in found.items():
        assert first
        assert again == first
        for post_id in first:
            assert word in search_tokens(db.session.get(Post, post_id).body)
    assert set(found["cy"][0]).isdisjoint(found["di"][0])


def test_one_search_with_two_windows_gives_each_its_own(db, town):
    # The relevance window is written into the text: one listing, a text per window.
    narrow, wide = (_search("post", town, RELEVANT, window) for window in (2, 5))
    assert narrow.listing is wide.listing
    for _ in range(2):
        assert len(keyset_page(narrow, 10).items) == 2
        assert len(keyset_page(wide, 10).items) == 5


def test_the_text_has_named_parameters_and_no_casts_of_its_own(db, town):
    # PostgreSQL's dialect writes a cast after each parameter; the text gets them when it is
    # compiled in turn. The dialect the text is made with is a new one: the session's own
    # keeps its settings.
    pages = explore_cards(town["ana"])
    statement, values = pages(None, False, 4)
    dialect = db.session.connection().dialect
    sql = freeze(statement, values, (), dialect).text.element.text
    assert ":viewer_id" in sql
    assert ":viewer_id::" not in sql
    assert "%(" not in sql
    if dialect.name == "postgresql":
        assert dialect.bind_typing is BindTyping.RENDER_CASTS


def test_statements_of_other_things_run_through_the_session(db, town, make_user):
    # ORM entities (with their eager loads) are not frozen: the session gives them.
    moderator = make_user("mod")
    post = db.session.get(Post, town["root"].id)
    db.session.add(Report(post=post, reporter=moderator, reason="spam"))
    db.session.commit()
    pages = report_queue()
    statement, values = pages(None, False, 4)
    assert frozen_bundle(statement) is None
    dialect = db.session.connection().dialect
    assert FROZEN.get(statement, values, (), dialect) is None
    reports = pages.listing.fetch(statement, values)
    assert [report.post.id for report in reports] == [post.id]


class _OwnRows(TupleBundle):
    def create_row_processor(self, query, procs, labels):
        def value(row):
            return ("own", *(proc(row) for proc in procs))

        return value


def test_a_bundle_that_makes_its_rows_its_own_way_is_not_frozen(db, town):
    # Its items would be made by `make`, not by its create_row_processor.
    own = _OwnRows(PostCard, *POST_CARD.exprs)
    statement = card_select(own).where(Post.id == town["root"].id)
    assert frozen_bundle(statement) is None
    items = fetch_items(statement, {"viewer_id": None})
    assert [item[0] for item in items] == ["own"]
    assert frozen_bundle(card_select().where(Post.id == town["root"].id)) is POST_CARD


def test_a_write_not_yet_flushed_is_on_the_page(db, town):
    # As through the session: its changes are flushed before the page is read.
    pages = explore_cards(town["ana"])
    post = Post(body="brand new", author=town["bo"], timestamp=START + timedelta(days=9))
    db.session.add(post)
    assert keyset_page(pages, 3).items[0].body == "brand new"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.body == "brand new")) == 0


class _Stamp(NamedTuple):
    id: int
    timestamp: datetime
    hidden_at: datetime | None


_STAMP = TupleBundle(_Stamp, Post.id, Post.timestamp, Post.hidden_at)


@pytest.mark.parametrize(
    ("where", "values"),
    [
        # No parameter, one (a positional driver's itemgetter of one name is no tuple), the
        # statement's own constant, a time sent through its type, one name used twice.
        (lambda: sa.true(), {}),
        (lambda: Post.id == sa.bindparam("post_id", type_=sa.Integer), {"post_id": "root"}),
        (lambda: Post.timestamp >= START, {}),
        (
            lambda: Post.timestamp >= sa.bindparam("since", type_=Post.timestamp.type),
            {"since": START + timedelta(minutes=3)},
        ),
        (
            lambda: sa.or_(
                Post.id == sa.bindparam("post_id", type_=sa.Integer),
                Post.in_reply_to_id == sa.bindparam("post_id", type_=sa.Integer),
            ),
            {"post_id": "root"},
        ),
    ],
)
def test_the_driver_gets_the_parameters_sqlalchemy_would_send(db, town, where, values):
    values = {name: town[v] if v == "root" else v for name, v in values.items()}
    values = {name: v.id if isinstance(v, Post) else v for name, v in values.items()}
    statement = sa.select(_STAMP).where(where()).order_by(Post.id)
    frozen = FROZEN.get(statement, values, (), db.session.connection().dialect)
    assert frozen.driver is not None
    items = fetch_items(statement, values)
    assert items
    assert items == list(db.session.scalars(statement, values))
    # Times are UTC, a NULL is None (the town hides one post).
    for item in items:
        for when in filter(None, (item.timestamp, item.hidden_at)):
            assert when.utcoffset() == timedelta(0)
    if not values:  # every post
        assert [item.hidden_at is not None for item in items].count(True) == 1


def test_statement_counters_see_the_statement_run_on_the_driver(db, town, statements):
    pages = explore_cards(town["ana"])
    statement, values = pages(None, False, 4)
    fetch_items(statement, values)
    statements.clear()
    fetch_items(statement, values)
    driver = FROZEN.get(statement, values, (), db.session.connection().dialect).driver
    assert statements == [driver.sql]


def test_a_driver_error_is_sqlalchemys_and_the_session_goes_on(db, town):
    # As through connection.execute: wrapped (the error pages and outage checks catch
    # sqlalchemy's errors), and the session can roll back and read again.
    missing = sa.Table("not_a_table", sa.MetaData(), sa.Column("id", sa.Integer))
    statement = sa.select(TupleBundle(_Stamp, missing.c.id, Post.timestamp, Post.hidden_at))
    with pytest.raises(sa.exc.DBAPIError):
        fetch_items(statement.where(missing.c.id == Post.id), {})
    db.session.rollback()
    assert keyset_page(explore_cards(town["ana"]), 3).items
