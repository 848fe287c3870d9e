"""Alembic migrations, on the test database's engine (SQLite or PostgreSQL).

They must build exactly the models' schema, undo cleanly, and keep every row when upgrading.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import IN_MEMORY, TEST_DATABASE_URL, TestConfig

WHEN = datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def empty_database_url(tmp_path):
    """URL of a brand-new empty database of the kind the suite runs on."""
    url = sa.make_url(TEST_DATABASE_URL)
    if IN_MEMORY or url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"chirp_migrate_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(empty_database_url):
    """An app whose database has no tables yet."""

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(MigrationConfig)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def scripts() -> ScriptDirectory:
    """The project's migration scripts."""
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def table_rows(connection, name: str) -> list[dict]:
    """Every row of a table, in primary-key order, as plain dicts."""
    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
    query = sa.select(table).order_by(*table.primary_key.columns)
    return [dict(row) for row in connection.execute(query).mappings()]


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(migration_app):
    runner = migration_app.test_cli_runner()
    upgrade()
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    downgrade(revision="base")
    assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
    upgrade()
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_every_migration_has_a_downgrade(migration_app):
    for script in scripts().walk_revisions():
        with open(script.path, encoding="utf-8") as file:
            source = file.read()
        body = source.split("def downgrade():", 1)[1]
        assert body.strip() not in ("", "pass"), f"{script.revision} cannot be undone"


def _fill_previous_revision(connection) -> None:
    """Users, posts and follows as the schema one revision before head stores them."""
    inspector = sa.inspect(connection)
    metadata = sa.MetaData()
    user = sa.Table("user", metadata, autoload_with=connection)
    post = sa.Table("post", metadata, autoload_with=connection)
    followers = sa.Table("followers", metadata, autoload_with=connection)
    assert inspector.has_table("user")
    users = [
        {
            "id": n,
            "username": f"User{n}",
            "username_key": f"user{n}",
            "email": f"user{n}@example.com",
            "password_hash": f"pbkdf2:sha256:1000$salt{n}$hash",
            "about_me": f"About <b>{n}</b> ✓" if n % 2 else None,
            "created_at": WHEN,
            "updated_at": WHEN + timedelta(days=n),
            "last_seen": WHEN + timedelta(minutes=n),
        }
        for n in range(1, 6)
    ]
    connection.execute(user.insert(), [_only_columns(user, row) for row in users])
    posts = [
        {
            "id": n,
            "body": f"post {n} — 'quotes' & <tags>",
            "timestamp": WHEN + timedelta(seconds=n),
            "user_id": n % 5 + 1,
        }
        for n in range(1, 21)
    ]
    connection.execute(post.insert(), [_only_columns(post, row) for row in posts])
    follows = [
        {"follower_id": a, "followed_id": b} for a in range(1, 6) for b in range(1, 6) if a != b
    ]
    connection.execute(followers.insert(), follows)


def _only_columns(table: sa.Table, row: dict) -> dict:
    return {key: value for key, value in row.items() if key in table.columns}


def test_upgrade_to_head_keeps_every_row(migration_app):
    head = scripts().get_current_head()
    previous = scripts().get_revision(head).down_revision
    if previous is None:
        pytest.fail("only one migration: nothing to upgrade from")
    upgrade(revision=previous)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    upgrade()
    with db.engine.connect() as connection:
        for name, rows in before.items():
            after = table_rows(connection, name)
            assert len(after) == len(rows), f"{name} lost rows"
            for old, new in zip(rows, after, strict=True):
                kept = {key: new[key] for key in old if key in new}
                assert kept == old, f"{name} row changed"


ROLES_REVISION = "5c15ca187ab9"


def test_roles_are_seeded_and_moderation_data_survives_a_round_trip(migration_app):
    upgrade(revision=ROLES_REVISION)
    with db.engine.begin() as connection:
        names = connection.execute(sa.text("SELECT name FROM role ORDER BY name")).scalars().all()
        assert names == ["admin", "moderator"]
        _fill_previous_revision(connection)
        connection.execute(
            sa.text("UPDATE post SET hidden_at = :when, hidden_by_id = 1 WHERE id = 2"),
            {"when": WHEN},
        )
    # Going back drops only what this migration added: users, posts and follows stay.
    downgrade(revision=scripts().get_revision(ROLES_REVISION).down_revision)
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("role")
        posts = table_rows(connection, "post")
        assert len(posts) == 20
        assert "hidden_at" not in posts[0]
        assert len(table_rows(connection, "followers")) == 20
