"""The migration that adds stored like counts (``post_stats``): counts existing likes, keeps
them with its triggers, and goes away entirely."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import counts
from tests.platform.test_migrations import WHEN, functions_present, table_rows, user_rows

REVISION = "7c2e9a4d1b58"
BEFORE = "e4c1b8f2a6d9"  # the revision before stored like counts


def _fill(connection) -> None:
    """Four users, the last suspended, and three posts liked unevenly, as the schema before
    stores them."""
    metadata = sa.MetaData()
    user, post, post_like = (
        sa.Table(name, metadata, autoload_with=connection) for name in ("user", "post", "post_like")
    )
    connection.execute(user.insert(), user_rows(4, suspended=4))
    connection.execute(
        post.insert(),
        [
            {"id": n, "body": f"post {n}", "timestamp": WHEN + timedelta(seconds=n), "user_id": 1}
            for n in range(1, 5)
        ],
    )
    connection.execute(
        post_like.insert(),
        [
            {"user_id": u, "post_id": p, "created_at": WHEN}
            for u in range(1, 5)
            for p in range(1, 5)
            if p >= u  # post 1 liked by user 1, post 2 by users 1-2, ...; post 4 by 1-4
        ],
    )


def _stored() -> dict[int, int]:
    with db.engine.connect() as connection:
        return {row["post_id"]: row["likes"] for row in table_rows(connection, "post_stats")}


def _from_scratch() -> dict[int, int]:
    with db.engine.connect() as connection:
        select = counts.RECOUNT_LIKES[counts.RECOUNT_LIKES.index("SELECT") :]
        return dict(connection.exec_driver_sql(select).all())


def _like_triggers() -> set[str]:
    """Which of the like counts' triggers the database has."""
    names = {*counts.SQLITE_LIKE_TRIGGERS, *counts.POSTGRESQL_LIKE_TRIGGERS}
    with db.engine.connect() as connection:
        return counts.present_triggers(connection) & names


def test_upgrade_counts_existing_likes_and_triggers_keep_them(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    # The suspended user 4's like of post 4 does not count.
    assert _stored() == _from_scratch() == {1: 1, 2: 2, 3: 3, 4: 3}
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM post_like WHERE user_id = 3 AND post_id = 3")
        connection.exec_driver_sql('UPDATE "user" SET suspended_at = NULL WHERE id = 4')
        connection.exec_driver_sql('DELETE FROM "user" WHERE id = 2')
    assert _stored() == {1: 1, 2: 1, 3: 1, 4: 3}
    assert _stored() == _from_scratch()


def test_downgrade_removes_table_triggers_and_functions_and_upgrade_again(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    dialect = db.engine.dialect.name
    expected = (
        counts.SQLITE_LIKE_TRIGGERS if dialect == "sqlite" else counts.POSTGRESQL_LIKE_TRIGGERS
    )
    assert _like_triggers() == set(expected)
    if dialect == "postgresql":
        functions = counts.POSTGRESQL_LIKE_FUNCTIONS
        assert functions_present(functions) == set(functions)
    downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("post_stats")
    assert _like_triggers() == set()
    assert functions_present(counts.POSTGRESQL_LIKE_FUNCTIONS) == set()
    upgrade(revision=REVISION)
    assert _stored() == _from_scratch()


def test_migration_copies_the_models_sql():
    (path,) = Path(__file__).parents[2].glob(f"migrations/versions/{REVISION}_*.py")
    spec = importlib.util.spec_from_file_location("like_counts_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for name in (
        "SQLITE_LIKE_TRIGGERS",
        "POSTGRESQL_LIKE_FUNCTIONS",
        "POSTGRESQL_LIKE_TRIGGERS",
        "_LIKE_TRIGGER_TABLES",
        "RECOUNT_LIKES",
    ):
        assert getattr(migration, name) == getattr(counts, name), name
