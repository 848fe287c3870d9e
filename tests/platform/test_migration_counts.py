"""The migration that adds stored counts (``user_stats``): counts existing rows, keeps them
with its triggers, and goes away entirely."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import counts
from tests.platform.test_migrations import WHEN, functions_present, table_rows, user_rows

REVISION = "0583fe2d4f6e"
BEFORE = "d7e3b5a91c42"  # the revision before stored counts


def _fill(connection) -> None:
    """Five users with uneven follows and posts, some hidden, as the schema before stores them."""
    metadata = sa.MetaData()
    user, post, followers = (
        sa.Table(name, metadata, autoload_with=connection) for name in ("user", "post", "followers")
    )
    connection.execute(user.insert(), user_rows(5))
    connection.execute(
        post.insert(),
        [
            {
                "id": n,
                "body": f"post {n}",
                "timestamp": WHEN + timedelta(seconds=n),
                "user_id": 1 + n % 3,  # users 1-3 post, 4 and 5 do not
                "hidden_at": WHEN if n % 4 == 0 else None,
            }
            for n in range(1, 12)
        ],
    )
    connection.execute(
        followers.insert(),
        [
            {"follower_id": a, "followed_id": b, "created_at": WHEN}
            for a in range(1, 6)
            for b in range(1, a)  # each follows everyone with a smaller id
        ],
    )


def _stored() -> dict[int, tuple]:
    with db.engine.connect() as connection:
        return {
            row["user_id"]: (row["posts"], row["hidden_posts"], row["followers"], row["following"])
            for row in table_rows(connection, "user_stats")
        }


def _from_scratch() -> dict[int, tuple]:
    with db.engine.connect() as connection:
        # The recount's SELECT, on its own.
        select = counts.RECOUNT[counts.RECOUNT.index("SELECT") :]
        rows = connection.exec_driver_sql(select).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_upgrade_counts_existing_rows_and_triggers_keep_them(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    expected = {1: (3, 0, 4, 0), 2: (4, 1, 3, 1), 3: (4, 1, 2, 2), 4: (0, 0, 1, 3), 5: (0, 0, 0, 4)}
    assert _stored() == _from_scratch() == expected
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM followers WHERE follower_id = 5")
        connection.exec_driver_sql("UPDATE post SET hidden_at = NULL WHERE id = 4")
        connection.exec_driver_sql('DELETE FROM "user" WHERE id = 1')
    assert _stored() == _from_scratch()
    assert 1 not in _stored()


def test_downgrade_removes_table_triggers_and_functions_and_upgrade_again(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    if db.engine.dialect.name == "postgresql":
        assert functions_present(counts.POSTGRESQL_FUNCTIONS) == set(counts.POSTGRESQL_FUNCTIONS)
    downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("user_stats")
        assert counts.present_triggers(connection) == set()
    assert functions_present(counts.POSTGRESQL_FUNCTIONS) == set()
    upgrade(revision=REVISION)
    assert _stored() == _from_scratch()


def test_every_trigger_is_present_at_the_head(migration_app):
    """A later migration that rebuilds a table on SQLite (batch_alter_table) drops its
    triggers: it must make them again (``ensure_user_stats``)."""
    upgrade()
    with db.engine.connect() as connection:
        assert counts.present_triggers(connection) == counts.trigger_names(connection.dialect.name)


def test_migration_copies_the_models_sql():
    (path,) = Path(__file__).parents[2].glob(f"migrations/versions/{REVISION}_*.py")
    spec = importlib.util.spec_from_file_location("counts_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for name in ("SQLITE_TRIGGERS", "POSTGRESQL_FUNCTIONS", "POSTGRESQL_TRIGGERS", "RECOUNT"):
        assert getattr(migration, name) == getattr(counts, name), name
