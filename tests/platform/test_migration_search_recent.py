"""The migration that adds ``post_search_recent`` (the newest posts' words, with a GIN index of
their own, kept by triggers on ``post_search``, on PostgreSQL; empty on SQLite) and its
downgrade, which takes the table, the triggers and their function out."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import post_stats
from app.models.search import search_tokens, tsvector_literal
from tests.helpers import TEST_DATABASE_URL, missing_tables_made
from tests.platform.test_migration_counts import _fill
from tests.search.test_index import searched

REVISION = "a8c3e5f1b7d2"
BEFORE = "b5d1e7a3c9f2"
POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
TEXTS = {101: "big red fox", 102: "owl", 103: "red owl at night"}


def _rows(table: str) -> dict[int, str]:
    terms = "CAST(terms AS TEXT)" if POSTGRES else "terms"
    query = f"SELECT post_id, {terms} FROM {table} WHERE post_id > 100"  # noqa: S608
    with db.engine.connect() as connection:
        return dict(connection.exec_driver_sql(query).all())


def _insert_indexed(connection, texts: dict[int, str]) -> None:
    """Posts and their words, as the app writes them (``pairs`` left out: NULL)."""
    connection.execute(
        sa.text("INSERT INTO post (id, body, timestamp, user_id) VALUES (:id, :body, :now, 1)"),
        [{"id": post_id, "body": text, "now": "2026-12-05"} for post_id, text in texts.items()],
    )
    terms = "CAST(:terms AS tsvector)" if POSTGRES else ":terms"
    connection.execute(
        sa.text(f"INSERT INTO post_search (post_id, terms) VALUES (:id, {terms})"),  # noqa: S608
        [
            {
                "id": post_id,
                "terms": (tsvector_literal if POSTGRES else " ".join)(search_tokens(text)),
            }
            for post_id, text in texts.items()
        ],
    )


def _function_present() -> bool:
    if not POSTGRES:
        return False
    query = "SELECT count(*) FROM pg_proc WHERE proname = 'post_search_recent_keep'"
    with db.engine.connect() as connection:
        return bool(connection.exec_driver_sql(query).scalar())


def _has_statistics(name: str) -> bool:
    """Whether ANALYZE has run on the table (or expression index) ``name`` since it had rows."""
    query = "SELECT count(*) FROM pg_stats WHERE tablename = :name"
    with db.engine.connect() as connection:
        return bool(connection.execute(sa.text(query), {"name": name}).scalar())


def test_upgrade_fills_the_table_and_its_triggers_keep_it_then_downgrade(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
        _insert_indexed(connection, dict(list(TEXTS.items())[:2]))
    db.session.remove()

    upgrade(revision=REVISION)
    assert sa.inspect(db.engine).has_table("post_search_recent")
    with db.engine.begin() as connection:  # written after the upgrade: the triggers copy it
        _insert_indexed(connection, dict(list(TEXTS.items())[2:]))
    if POSTGRES:
        assert _rows("post_search_recent") == _rows("post_search")
        assert len(_rows("post_search_recent")) == len(TEXTS)
        indexes = sa.inspect(db.engine).get_indexes("post_search_recent")
        assert [index["name"] for index in indexes] == ["ix_post_search_recent_terms"]
    else:
        assert _rows("post_search_recent") == {}  # FTS5 finds the window there
    with missing_tables_made(post_stats):  # the cards' reply counts, a later migration's
        assert searched("owl") == [103, 102]
    db.session.remove()

    downgrade(revision=BEFORE)
    assert not sa.inspect(db.engine).has_table("post_search_recent")
    assert not _function_present()
    with db.engine.begin() as connection:  # no trigger left behind on post_search
        _insert_indexed(connection, {104: "owl again"})
    with missing_tables_made(post_stats):
        assert searched("owl") == [104, 103, 102]
    db.session.remove()

    upgrade(revision=REVISION)
    if POSTGRES:
        assert _rows("post_search_recent") == _rows("post_search")
        assert _function_present()
        # Both migrations analyse what they add: plans depend on it (the BRIN index's
        # expression has no statistics until ANALYZE, and the planner then ignores it).
        assert _has_statistics("post_search_recent")
        db.session.remove()
        downgrade(revision="f3a7c2e9d4b6")
        upgrade(revision=BEFORE)
        assert _has_statistics("ix_post_search_post_id_brin")
