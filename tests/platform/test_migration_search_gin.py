"""The migration that gives the search's GIN indexes pending lists of 64 kB instead of the
server's 4 MB (PostgreSQL), merging the lists they hold, and its downgrade; and the models,
which make the indexes the same way, so that a new database and a migrated one agree."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.helpers import TEST_DATABASE_URL
from tests.platform.test_migration_counts import _fill
from tests.platform.test_migration_search_recent import _insert_indexed

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="GIN indexes' storage parameters"
)
REVISION = "b7e1d4a9c2f5"
BEFORE = "e7a2c4f9b1d6"
INDEXES = ("ix_post_search_terms", "ix_post_search_pairs", "ix_post_search_recent_terms")
SMALL_LISTS = ("gin_pending_list_limit=64",)


def _options() -> dict[str, tuple[str, ...]]:
    query = sa.text("SELECT relname, reloptions FROM pg_class WHERE relname IN :names").bindparams(
        sa.bindparam("names", list(INDEXES), expanding=True)
    )
    with db.engine.connect() as connection:
        return {name: tuple(options or ()) for name, options in connection.execute(query)}


def _merge_pending(name: str) -> int:
    """Merge the pending list of index ``name`` now; how many pages it held."""
    with db.engine.begin() as connection:
        query = sa.text("SELECT gin_clean_pending_list(CAST(:name AS regclass))")
        return connection.execute(query, {"name": name}).scalar_one()


def test_upgrade_sets_small_lists_and_merges_them_then_downgrade(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
        _insert_indexed(connection, {101: "big red fox", 102: "owl", 103: "red owl at night"})
    db.session.remove()

    upgrade(revision=REVISION)
    assert _options() == dict.fromkeys(INDEXES, SMALL_LISTS)
    # The upgrade merged what the lists held: nothing left for a search to read through.
    assert [_merge_pending(name) for name in INDEXES] == [0, 0, 0]

    downgrade(revision=BEFORE)
    assert _options() == dict.fromkeys(INDEXES, ())
    # New rows go to a pending list again (so the check above could see one).
    with db.engine.begin() as connection:
        _insert_indexed(connection, {104: "grey heron"})
    assert _merge_pending("ix_post_search_terms") > 0

    upgrade(revision=REVISION)
    assert _options() == dict.fromkeys(INDEXES, SMALL_LISTS)


def test_the_models_make_the_gin_indexes_with_small_lists(db):
    assert _options() == dict.fromkeys(INDEXES, SMALL_LISTS)
