"""The migration that stores each recent post's number of words (``post_search_recent.
word_count``, a generated column) and its downgrade: rows there before the upgrade and rows
the triggers copy after it both have their count, on SQLite too (whose table stays empty, so
a row is written into it by hand here)."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.helpers import TEST_DATABASE_URL
from tests.platform.test_migration_counts import _fill
from tests.platform.test_migration_search_recent import _insert_indexed

REVISION = "c4e9a2d7f1b3"
BEFORE = "a8c3e5f1b7d2"
POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
# A word written twice counts twice; a post with no words has no count.
TEXTS = {101: "big red fox", 102: "owl owl", 103: "red owl at night", 104: "!!"}
COUNTS = {101: 3, 102: 2, 103: 4, 104: None}


def _counts() -> dict[int, int | None]:
    query = "SELECT post_id, word_count FROM post_search_recent WHERE post_id > 100"
    with db.engine.connect() as connection:
        return dict(connection.exec_driver_sql(query).all())


def _columns() -> list[str]:
    return [column["name"] for column in sa.inspect(db.engine).get_columns("post_search_recent")]


def _copy_by_hand() -> None:
    """SQLite: the rows of ``post_search`` into the table, as PostgreSQL's triggers would."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO post_search_recent (post_id, terms) "
            "SELECT post_id, terms FROM post_search WHERE post_id > 100 "
            "AND post_id NOT IN (SELECT post_id FROM post_search_recent)"
        )


def test_upgrade_counts_the_words_of_rows_old_and_new_then_downgrade(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
        _insert_indexed(connection, dict(list(TEXTS.items())[:2]))
    db.session.remove()

    upgrade(revision=REVISION)
    assert "word_count" in _columns()
    with db.engine.begin() as connection:  # written after the upgrade
        _insert_indexed(connection, dict(list(TEXTS.items())[2:]))
    if not POSTGRES:
        assert _counts() == {}  # FTS5 finds the window there: the table stays empty
        _copy_by_hand()
    assert _counts() == COUNTS
    db.session.remove()

    downgrade(revision=BEFORE)
    assert "word_count" not in _columns()
    with db.engine.begin() as connection:  # the triggers still copy a post's words
        _insert_indexed(connection, {105: "owl again"})
    if POSTGRES:
        assert 105 in {
            row[0] for row in db.session.execute(sa.text("SELECT post_id FROM post_search_recent"))
        }
    db.session.remove()

    upgrade(revision=REVISION)
    if not POSTGRES:
        _copy_by_hand()
    assert _counts() == {**COUNTS, 105: 2}
