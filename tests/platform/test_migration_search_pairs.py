"""The migration that adds each indexed post's pairs of neighbouring words to its tsvector
(PostgreSQL), so phrases are looked up by them, and its downgrade, which takes them out."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models.search import search_tokens, tsvector_literal
from tests.helpers import TEST_DATABASE_URL
from tests.platform.test_migration_counts import _fill
from tests.search.test_index import searched

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="PostgreSQL's tsvector lexemes"
)
REVISION = "f3a7c2e9d4b6"
BEFORE = "f2b7c4d9e1a3"
# Post id: text. _fill's posts (ids 1-12, "post n") have no index rows; these get rows written
# as the previous release wrote them.
TEXTS = {
    101: "big red fox",
    102: "big red dog, red fox",
    103: "very very good",
    104: "owl",
    105: "",
}


def _words_only(tokens: list[str]) -> str:
    """The tsvector literal of the previous release: the words with their positions."""
    literal = tsvector_literal(tokens)
    return " ".join(lexeme for lexeme in literal.split(" ") if ":" in lexeme)


def _rows_equal(literal) -> bool:
    """Whether every row of TEXTS holds exactly ``literal(tokens)`` of its text."""
    query = sa.text(
        "SELECT terms = CAST(:expected AS tsvector) FROM post_search WHERE post_id = :id"
    )
    with db.engine.connect() as connection:
        return all(
            connection.execute(
                query, {"id": post_id, "expected": literal(search_tokens(text))}
            ).scalar_one()
            for post_id, text in TEXTS.items()
        )


def test_upgrade_adds_the_pairs_and_downgrade_takes_them_out(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
        connection.execute(
            sa.text(
                "INSERT INTO post (id, body, timestamp, user_id) VALUES (:id, :body, now(), 1)"
            ),
            [{"id": post_id, "body": text} for post_id, text in TEXTS.items()],
        )
        connection.execute(
            sa.text("INSERT INTO post_search VALUES (:id, CAST(:terms AS tsvector))"),
            [
                {"id": post_id, "terms": _words_only(search_tokens(text))}
                for post_id, text in TEXTS.items()
            ],
        )
    assert _rows_equal(_words_only)
    assert searched('"big red fox"') == []  # looked up by pairs the rows lack
    db.session.remove()  # its open transaction would keep the migration from the index

    upgrade(revision=REVISION)
    assert _rows_equal(tsvector_literal)  # what the app writes for a new post
    assert searched('"big red fox"') == [101]
    assert searched('"red fox"') == [102, 101]
    assert searched('"very very"') == [103]
    assert searched("owl") == [104]
    db.session.remove()

    downgrade(revision=BEFORE)
    assert _rows_equal(_words_only)
    upgrade(revision=REVISION)
    assert _rows_equal(tsvector_literal)
    indexes = sa.inspect(db.engine).get_indexes("post_search")
    assert [index["name"] for index in indexes] == ["ix_post_search_terms"]
