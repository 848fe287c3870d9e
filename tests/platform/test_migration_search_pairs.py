"""The migration that gives each indexed post its pairs of neighbouring words (``pairs``, with
a GIN index, on PostgreSQL), so phrases are looked up by them, and its downgrade, which takes
the column out (on SQLite too, where it stays empty)."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import post_stats
from app.models.search import pair_hashes, search_tokens, tsvector_literal
from tests.helpers import TEST_DATABASE_URL, missing_tables_made
from tests.platform.test_migration_counts import _fill
from tests.search.test_index import searched

REVISION = "f3a7c2e9d4b6"
BEFORE = "9d3f6b2a7c15"
POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
# Post id: text. _fill's posts (ids 1-12, "post n") have no index rows; these get rows written
# as the previous release wrote them.
TEXTS = {
    101: "big red fox",
    102: "big red dog, red fox",
    103: "very very good",
    104: "owl",
    105: "",
    106: "a fox: big, red, fox big red fox",
}


def _columns() -> list[str]:
    return [column["name"] for column in sa.inspect(db.engine).get_columns("post_search")]


def _indexes() -> list[str]:
    return sorted(index["name"] for index in sa.inspect(db.engine).get_indexes("post_search"))


def _stored_pairs() -> dict[int, list[int] | None]:
    query = sa.text("SELECT post_id, pairs FROM post_search WHERE post_id > 100")
    with db.engine.connect() as connection:
        return dict(connection.execute(query).all())


def test_upgrade_fills_the_pairs_and_downgrade_takes_them_out(migration_app):
    upgrade(revision=BEFORE)
    terms = "CAST(:terms AS tsvector)" if POSTGRES else ":terms"
    with db.engine.begin() as connection:
        _fill(connection)
        connection.execute(
            sa.text("INSERT INTO post (id, body, timestamp, user_id) VALUES (:id, :body, :now, 1)"),
            [{"id": post_id, "body": text, "now": "2026-12-04"} for post_id, text in TEXTS.items()],
        )
        tokens = {post_id: search_tokens(text) for post_id, text in TEXTS.items()}
        connection.execute(
            sa.text(f"INSERT INTO post_search (post_id, terms) VALUES (:id, {terms})"),  # noqa: S608
            [
                {"id": post_id, "terms": tsvector_literal(words) if POSTGRES else " ".join(words)}
                for post_id, words in tokens.items()
            ],
        )
    assert "pairs" not in _columns()
    db.session.remove()  # its open transaction would keep the migration from the table

    upgrade(revision=REVISION)
    if POSTGRES:
        # The SQL's numbers are Python's, which the app writes for a new post.
        assert _stored_pairs() == {post_id: pair_hashes(words) for post_id, words in tokens.items()}
        assert _indexes() == ["ix_post_search_pairs", "ix_post_search_terms"]
    else:
        assert _stored_pairs() == dict.fromkeys(TEXTS)  # FTS5 finds phrases by itself
    with missing_tables_made(post_stats):  # the cards' reply counts, a later migration's
        assert searched('"big red fox"') == [106, 101]
        assert searched('"red fox"') == [106, 102, 101]
        assert searched('"very very"') == [103]
        assert searched('"fox big red"') == [106]
        assert searched("owl") == [104]
    db.session.remove()

    downgrade(revision=BEFORE)
    assert "pairs" not in _columns()
    with db.engine.connect() as connection:  # the words stay as they were
        count = "SELECT count(*) FROM post_search WHERE post_id > 100"
        assert connection.exec_driver_sql(count).scalar() == len(TEXTS)
    if POSTGRES:
        assert _indexes() == ["ix_post_search_terms"]
    upgrade(revision=REVISION)
    assert "pairs" in _columns()
