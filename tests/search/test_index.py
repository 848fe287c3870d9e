"""The full-text index follows every change to the posts: after random posting, editing,
deleting, hiding, suspending and account deletion it is what a rebuild from scratch makes, and
search finds exactly what a plain reading of the posts finds, in the same order (newest first,
or by the relevance rule worked out in Python)."""

import hashlib
import random
import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.dialects.postgresql import TSQUERY

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
    pair_lexeme,
    rebuild_index,
    search_tokens,
    tsvector_literal,
)
from app.search.query import (
    NEWEST,
    RELEVANT,
    parse_query,
    relevance_score,
    search_pages,
    tsquery,
)
from tests.helpers import TEST_DATABASE_URL, TestConfig, missing_tables_made
from tests.platform.test_migrations import _fill_previous_revision, scripts

WORDS = ["owl", "Owl", "heron", "héron", "kite", "wren", "#owl", "#Wren", "#kite", "it's"]
SEARCH_REVISION = "d7e3b5a91c42"


def snapshot(connection) -> dict:
    """The index as rows: each post's words, each post's tags (by name)."""
    terms = sa.cast(PostSearch.terms, sa.Text)
    words = connection.execute(sa.select(PostSearch.post_id, terms).order_by(PostSearch.post_id))
    tags = connection.execute(
        sa.select(post_tag.c.post_id, Tag.name)
        .join(Tag, Tag.id == post_tag.c.tag_id)
        .order_by(post_tag.c.post_id, Tag.name)
    )
    return {"words": words.all(), "tags": tags.all()}


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


def test_a_posts_tsvector_holds_each_pair_of_neighbouring_words_once_without_positions():
    """Positions are the words' alone: a relevance score counts positions."""
    tokens = search_tokens("Red fox, red FOX: big red")
    pairs = [pair_lexeme(*pair.split()) for pair in ("red fox", "fox red", "fox big", "big red")]
    assert tsvector_literal(tokens) == (
        "'red':1,3,6 'fox':2,4 'big':5 " + " ".join(f"'{lexeme}'" for lexeme in pairs)
    )
    assert tsvector_literal(["owl"]) == "'owl':1"
    assert tsvector_literal([]) == ""


def test_a_pairs_lexeme_is_a_short_hash_that_no_word_can_be():
    lexeme = pair_lexeme("child", "reach")
    assert lexeme == "~" + hashlib.md5(b"child reach").hexdigest()[:4]  # noqa: S324
    assert pair_lexeme("reach", "child") != lexeme
    assert search_tokens(lexeme) == [lexeme[1:]]  # "~" is never part of a word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("owl", "('owl')"),
        ('"big red"', "('{big red}' & ('big' <-> 'red'))"),
        (
            '"big red fox" owl',
            "('{big red}' & '{red fox}' & ('big' <-> 'red' <-> 'fox')) & ('owl')",
        ),
        ('"very very very"', "('{very very}' & ('very' <-> 'very' <-> 'very'))"),
    ],
)
def test_postgresql_looks_a_phrase_up_by_its_pairs_and_its_words_in_order(text, expected):
    """The index holds lexemes of the pairs but no positions: the posts with the pairs' and
    the words' lexemes are read to check the order."""
    pairs = re.findall(r"\{(\w+) (\w+)\}", expected)
    for first, second in pairs:
        expected = expected.replace(f"{{{first} {second}}}", pair_lexeme(first, second))
    assert tsquery(parse_query(text).phrases) == expected


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="PostgreSQL's tsvector lexemes"
)
def test_the_index_holds_the_pairs_of_new_and_edited_posts(db, alice, make_post):
    """The flush that writes a post's words writes its pairs' lexemes too."""
    first, second = make_post(alice, "big red fox"), make_post(alice, "red big fox")
    second.body = "a big red dog"
    db.session.commit()

    def holding(*pair: str) -> list[int]:
        query = sa.cast(f"'{pair_lexeme(*pair)}'", TSQUERY)
        found = sa.select(PostSearch.post_id).where(PostSearch.terms.bool_op("@@")(query))
        return sorted(db.session.scalars(found))

    assert holding("big", "red") == [first.id, second.id]
    assert holding("red", "fox") == [first.id]
    assert holding("red", "big") == []
