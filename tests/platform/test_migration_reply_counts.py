"""The migration that stores reply counts (``post_stats.replies``): counts existing replies,
keeps them with its triggers, and goes away entirely."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models import counts
from tests.platform.test_migrations import WHEN, functions_present, table_rows, user_rows

REVISION = "d5f8a1c3e7b9"
BEFORE = "c4e9a2d7f1b3"  # the revision before stored reply counts


def _fill(connection) -> None:
    """Three users, the last suspended; user 1's posts 1 and 2, answered by posts 3-8 as the
    schema before stores them: post 1 by users 2 and 3 and by a hidden reply, post 2 by user
    2, post 3 (a reply) by user 1, and a reply to post 99, which is gone."""
    metadata = sa.MetaData()
    user, post = (sa.Table(name, metadata, autoload_with=connection) for name in ("user", "post"))
    connection.execute(user.insert(), user_rows(3, suspended=3))
    answers = [(1, 2, None), (1, 3, None), (1, 2, WHEN), (2, 2, None), (3, 1, None), (99, 1, None)]
    rows = [(None, 1, None), (None, 1, None), *answers]
    connection.execute(
        post.insert(),
        [
            {
                "id": n,
                "body": f"post {n}",
                "timestamp": WHEN + timedelta(seconds=n),
                "user_id": author,
                "in_reply_to_id": parent,
                "hidden_at": hidden,
            }
            for n, (parent, author, hidden) in enumerate(rows, start=1)
        ],
    )


def _stored() -> dict[int, int]:
    with db.engine.connect() as connection:
        rows = table_rows(connection, "post_stats")
    return {row["post_id"]: row["replies"] for row in rows if row["replies"]}


def _from_scratch() -> dict[int, int]:
    with db.engine.connect() as connection:
        select = counts.RECOUNT_REPLIES[counts.RECOUNT_REPLIES.index("SELECT") :]
        select = select[: select.index("ON CONFLICT")]
        return {post_id: n for post_id, _likes, n in connection.exec_driver_sql(select).all()}


def _reply_triggers() -> set[str]:
    """Which of the reply counts' triggers the database has."""
    names = {*counts.SQLITE_REPLY_TRIGGERS, *counts.POSTGRESQL_REPLY_TRIGGERS}
    with db.engine.connect() as connection:
        return counts.present_triggers(connection) & names


def test_upgrade_counts_existing_replies_and_triggers_keep_them(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    # Post 1: users 2's and 3's replies, but 3 is suspended and one reply is hidden.
    assert _stored() == _from_scratch() == {1: 1, 2: 1, 3: 1}
    with db.engine.begin() as connection:
        connection.exec_driver_sql('UPDATE "user" SET suspended_at = NULL WHERE id = 3')
        connection.exec_driver_sql("UPDATE post SET hidden_at = NULL WHERE id = 5")
        connection.exec_driver_sql("DELETE FROM post WHERE id = 6")
    assert _stored() == _from_scratch() == {1: 3, 3: 1}


def test_downgrade_removes_column_triggers_and_functions_and_upgrade_again(migration_app):
    upgrade(revision=BEFORE)
    with db.engine.begin() as connection:
        _fill(connection)
    upgrade(revision=REVISION)
    dialect = db.engine.dialect.name
    expected = (
        counts.SQLITE_REPLY_TRIGGERS if dialect == "sqlite" else counts.POSTGRESQL_REPLY_TRIGGERS
    )
    assert _reply_triggers() == set(expected)
    if dialect == "postgresql":
        functions = counts.POSTGRESQL_REPLY_FUNCTIONS
        assert functions_present(functions) == set(functions)
    downgrade(revision=BEFORE)
    with db.engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("post_stats")}
    assert columns == {"post_id", "likes"}
    assert _reply_triggers() == set()
    assert functions_present(counts.POSTGRESQL_REPLY_FUNCTIONS) == set()
    upgrade(revision=REVISION)
    assert _stored() == _from_scratch() == {1: 1, 2: 1, 3: 1}


def test_migration_copies_the_models_sql():
    (path,) = Path(__file__).parents[2].glob(f"migrations/versions/{REVISION}_*.py")
    spec = importlib.util.spec_from_file_location("reply_counts_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for name in (
        "SQLITE_REPLY_TRIGGERS",
        "POSTGRESQL_REPLY_FUNCTIONS",
        "POSTGRESQL_REPLY_TRIGGERS",
        "_REPLY_TRIGGER_TABLES",
        "RECOUNT_REPLIES",
    ):
        assert getattr(migration, name) == getattr(counts, name), name
