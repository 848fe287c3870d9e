"""The full-text index follows every change to the posts: after random posting, editing,
deleting, hiding, suspending and account deletion it is what a rebuild from scratch makes, and
search finds exactly what a plain reading of the posts finds, in the same order (newest first,
or by the relevance rule worked out in Python)."""

import hashlib
import random

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.dialects import postgresql

from app import create_app
from app.extensions import db as _db
from app.listings.keyset import keyset_page
from app.models import (
    Post,
    PostSearch,
    Tag,
    User,
    post_stats,
    post_tag,
    post_visible_to,
    utcnow,
)
from app.models.posting import publish
from app.models.search import (
    has_fts5,
    hashtags,
    pair_hash,
    pair_hashes,
    rebuild_index,
    search_tokens,
    tsvector_literal,
)
from app.search.query import (
    NEWEST,
    RELEVANT,
    parse_query,
    phrase_pairs,
    relevance_score,
    search_pages,
)
from tests.helpers import TEST_DATABASE_URL, TestConfig, missing_tables_made
from tests.platform.test_migrations import _fill_previous_revision, scripts

WORDS = ["owl", "Owl", "heron", "héron", "kite", "wren", "#owl", "#Wren", "#kite", "it's"]
SEARCH_REVISION = "d7e3b5a91c42"


def snapshot(connection) -> dict:
    """The index as rows: each post's words and pairs of words, each post's tags (by name)."""
    terms, pairs = sa.cast(PostSearch.terms, sa.Text), sa.cast(PostSearch.pairs, sa.Text)
    words = connection.execute(
        sa.select(PostSearch.post_id, terms, pairs).order_by(PostSearch.post_id)
    )
    tags = connection.execute(
        sa.select(post_tag.c.post_id, Tag.name)
        .join(Tag, Tag.id == post_tag.c.tag_id)
        .order_by(post_tag.c.post_id, Tag.name)
    )
    return {"words": words.all(), "tags": tags.all()}


def sample_queries(made: dict) -> tuple[str, str, str]:
    """A word, a tag and a phrase of two words to search for in a loaded database whose
    index is ``made`` (:func:`snapshot`). Which text each post gets is drawn by the database,
    and a few fake sentences are one word ("Look."): the phrase is the first post's of two
    words or more."""
    bodies = _db.session.scalars(sa.select(Post.body).order_by(Post.id)).all()
    tokens = next(tokens for tokens in map(search_tokens, bodies) if len(tokens) >= 2)
    word = next(token for token in tokens if token.isalpha())
    return word, f"#{made['tags'][0][1]}", f'"{tokens[0]} {tokens[1]}"'


def fts5_is_consistent(connection) -> None:
    """On SQLite, FTS5 checks its index against post_search (raises if they differ)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            "INSERT INTO post_search_fts(post_search_fts) VALUES ('integrity-check')"
        )


def searched(query: str, order: str = NEWEST, per_page: int = 1000) -> list[int]:
    """The ids the search finds for ``query`` in ``order``, over pages of ``per_page``."""
    pages = search_pages(parse_query(query), _db.engine.dialect.name, None, order)
    ids, page = [], keyset_page(pages, per_page)
    ids += [found.card.id for found in page.items]
    while page.next_cursor:
        page = keyset_page(pages, per_page, after=page.next_cursor)
        ids += [found.card.id for found in page.items]
    return ids


def expected(query: str, order: str = NEWEST) -> list[int]:
    """The same, read from the posts themselves (the oracle)."""
    want = parse_query(query)
    posts = _db.session.scalars(
        sa.select(Post).where(post_visible_to(Post.__table__, None)).order_by(Post.id.desc())
    )
    hits = []
    for post in posts:
        tokens = search_tokens(post.body)
        has = [
            any(tuple(tokens[n : n + len(p)]) == p for n in range(len(tokens)))
            for p in want.phrases
        ]
        if all(has) and all(tag in hashtags(post.body) for tag in want.tags):
            hits.append((relevance_score(want.words, tokens) if order == RELEVANT else 0, post.id))
    return [post_id for _, post_id in sorted(hits, reverse=True)]


def random_changes(db, rng: random.Random, steps: int) -> None:
    """``steps`` random changes, each committed, as the pages make them."""
    people = [User(username=f"user{n}", email=f"u{n}@example.com") for n in range(5)]
    db.session.add_all(people)
    db.session.commit()
    for _ in range(steps):
        posts = db.session.scalars(sa.select(Post)).all()
        alive = db.session.scalars(sa.select(User)).all()
        actions = ["post", "post box", "reply", "edit", "delete", "hide", "suspend", "quit"]
        action = rng.choice(actions)
        text = " ".join(rng.choices(WORDS, k=rng.randint(1, 5)))
        if action == "post box":  # Core statements, as the home page's post box writes
            publish(rng.choice(alive), text)
        elif action == "post" or not posts:
            db.session.add(Post(body=text, author=rng.choice(alive), timestamp=utcnow()))
        elif action == "reply":
            rng.choice(posts).reply(rng.choice(alive), text)
        elif action == "edit":
            rng.choice(posts).edit(text)
        elif action == "delete":
            db.session.execute(sa.delete(Post).where(Post.id == rng.choice(posts).id))
        elif action == "hide":
            post = rng.choice(posts)
            post.unhide() if post.is_hidden else post.hide(alive[0])
        elif action == "suspend":
            user = rng.choice(alive)
            user.suspended_at = None if user.suspended_at else utcnow()
        elif len(alive) > 2:
            db.session.execute(sa.delete(User).where(User.id == rng.choice(alive[1:]).id))
        db.session.commit()
        db.session.expire_all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_random_changes_the_index_is_what_a_rebuild_makes(db, seed):
    random_changes(db, random.Random(seed), 60)  # noqa: S311 (a repeatable test, no secret)
    with db.engine.begin() as connection:
        fts5_is_consistent(connection)
        kept = snapshot(connection)
    for query in ["owl", "heron", "kite wren", '"owl owl"', "#owl", "#wren kite", "it's"]:
        assert searched(query) == expected(query), query
        # By relevance, in pages of 3: the databases' scores are the rule's.
        assert searched(query, RELEVANT, 3) == expected(query, RELEVANT), query
    with db.engine.begin() as connection:
        assert rebuild_index(connection) == db.session.scalar(sa.select(sa.func.count(Post.id)))
        fts5_is_consistent(connection)
        assert snapshot(connection) == kept
    assert kept["words"], "the random changes left no posts: nothing was compared"


def test_flask_search_rebuild_rebuilds_it(app, db, make_user, make_post):
    post = make_post(make_user("alice"), "an owl #Night")
    db.session.execute(sa.delete(PostSearch))
    db.session.commit()
    assert searched("owl") == []
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 post" in result.output
    assert searched("owl") == [post.id]
    assert searched("#night") == [post.id]


def test_the_migration_indexes_existing_posts_and_its_downgrade_removes_the_index(
    migration_app,
):
    upgrade(revision=scripts().get_revision(SEARCH_REVISION).down_revision)
    with _db.engine.begin() as connection:
        _fill_previous_revision(connection)  # users 1-5, posts 1-20
        connection.execute(
            sa.text("INSERT INTO post (id, body, timestamp, user_id) VALUES (:id, :body, :now, 1)"),
            [
                {"id": 21, "body": "Grüße aus #Köln", "now": utcnow()},
                {"id": 22, "body": "a heron #köln #birds", "now": utcnow()},
            ],
        )
    upgrade(revision=SEARCH_REVISION)
    with missing_tables_made(post_stats):  # the cards' like counts, a later migration's
        assert searched("grusse") == [21]
        assert searched("#KÖLN") == [22, 21]
        assert searched("quotes tags") == list(range(20, 0, -1))
    with _db.engine.begin() as connection:
        fts5_is_consistent(connection)
    _db.session.remove()  # its open transaction would hold the tables the downgrade drops
    downgrade(revision=scripts().get_revision(SEARCH_REVISION).down_revision)
    names = set(sa.inspect(_db.engine).get_table_names())
    assert not {name for name in names if "search" in name or "tag" in name}
    assert {"post", "user"} <= names


def test_start_up_refuses_a_sqlite_without_fts5(monkeypatch):
    """No SQLite here lacks FTS5, so the check is told this one does."""

    class SQLiteConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    monkeypatch.setattr("app.models.search.has_fts5", lambda _connection: False)
    with pytest.raises(RuntimeError, match="has no FTS5"):
        create_app(SQLiteConfig)


def test_this_sqlite_has_fts5():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        assert has_fts5(connection)


def test_a_posts_tsvector_holds_its_words_alone():
    """The pairs of neighbouring words have a column of their own, not lexemes here."""
    assert tsvector_literal(search_tokens("Red fox, red FOX: big red")) == (
        "'red':1,3,6 'fox':2,4 'big':5"
    )
    assert tsvector_literal(["owl"]) == "'owl':1"
    assert tsvector_literal([]) == ""


def test_a_pairs_number_is_the_first_32_bits_of_its_md5():
    digest = hashlib.md5(b"child reach").digest()  # noqa: S324
    assert pair_hash("child", "reach") == int.from_bytes(digest[:4], "big", signed=True)
    assert pair_hash("reach", "child") != pair_hash("child", "reach")
    assert -(2**31) <= pair_hash("child", "reach") < 2**31  # a PostgreSQL integer


def test_a_posts_pairs_are_each_pair_of_neighbouring_words_once_in_order_of_number():
    tokens = search_tokens("Red fox, red FOX: big red")
    expected = {pair_hash(*pair.split()) for pair in ("red fox", "fox red", "fox big", "big red")}
    assert pair_hashes(tokens) == sorted(expected)
    assert pair_hashes(["owl"]) == []
    assert pair_hashes([]) == []


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("owl", []),
        ('"big red"', ["big red"]),
        ('"big red fox" owl', ["big red", "red fox"]),
        ('"very very very"', ["very very"]),
        ('"big red" "red fox" -"fox big"', ["big red", "red fox"]),
    ],
)
def test_a_phrase_is_looked_up_by_its_pairs(text, pairs):
    """Excluded phrases are checked post by post: their pairs are not looked up."""
    expected = sorted({pair_hash(*pair.split()) for pair in pairs})
    assert phrase_pairs(parse_query(text).phrases) == expected


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="PostgreSQL's column of pairs"
)
def test_the_index_holds_the_pairs_of_new_published_and_edited_posts(db, alice, make_post):
    """The flush that writes a post's words writes its pairs too, and so does publishing's
    one statement."""
    first, second = make_post(alice, "big red fox"), make_post(alice, "red big fox")
    third = publish(alice, "the big red owl")
    db.session.commit()
    second.body = "a big red dog"
    db.session.commit()

    def holding(*pair: str) -> list[int]:
        wanted = sa.cast([pair_hash(*pair)], postgresql.ARRAY(sa.Integer))
        found = sa.select(PostSearch.post_id).where(PostSearch.pairs.bool_op("@>")(wanted))
        return sorted(db.session.scalars(found))

    assert holding("big", "red") == [first.id, second.id, third]
    assert holding("red", "fox") == [first.id]
    assert holding("red", "owl") == [third]
    assert holding("red", "big") == []
    stored = db.session.scalar(sa.select(PostSearch.pairs).where(PostSearch.post_id == third))
    assert stored == pair_hashes(search_tokens("the big red owl"))


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="PostgreSQL's column of pairs"
)
def test_a_post_whose_pairs_match_by_chance_is_not_found(db, alice, make_post):
    """Two pairs may share a number: the words in order are checked on every row the pairs'
    index hands over, so a post holding a phrase's numbers without the phrase is left out."""
    found_one = make_post(alice, "big red fox")
    by_chance = make_post(alice, "red big fox")
    # Its own pairs, and those of "big red fox" as if they shared their numbers.
    by_chance_pairs = {*pair_hashes(["red", "big", "fox"]), *pair_hashes(["big", "red", "fox"])}
    db.session.execute(
        sa.update(PostSearch)
        .where(PostSearch.post_id == by_chance.id)
        .values(pairs=sa.cast(sorted(by_chance_pairs), postgresql.ARRAY(sa.Integer)))
    )
    db.session.commit()
    assert searched('"big red fox"') == [found_one.id]
    assert searched('"red big"') == [by_chance.id]
