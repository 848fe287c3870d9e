"""``flask status``: what an operator sees about the database, on SQLite and PostgreSQL."""

import re

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade

from app import create_app
from app.commands.status import masked_url
from app.extensions import db
from app.models import Post, User
from tests.helpers import TEST_DATABASE_URL, TestConfig

SECRET = "s3cret-pa55"


def table_rows(output: str) -> dict[str, str]:
    """The "Rows:" section of the output, as table name -> shown count."""
    section = output.split("Rows:\n", 1)[1]
    return dict(re.findall(r"^  (\w+) +(.+)$", section, re.MULTILINE))


def line(output: str, label: str) -> str:
    """The value shown after ``label:``."""
    match = re.search(rf"^{label}: +(.*)$", output, re.MULTILINE)
    assert match, f"no {label} line in {output!r}"
    return match.group(1)


def test_status_shows_url_and_row_counts(runner, alice, bob, make_post):
    make_post(alice)
    make_post(alice)
    make_post(bob)
    alice.follow(bob)
    db.session.commit()

    result = runner.invoke(args=["status"])

    assert result.exit_code == 0, result.output
    assert line(result.output, "Database") == sa.make_url(TEST_DATABASE_URL).render_as_string()
    # The test schema is made by create_all, not by migrations, and the command says so.
    assert line(result.output, "Migration").startswith("none recorded, but tables exist")
    rows = table_rows(result.output)
    assert set(rows) == {table.name for table in db.metadata.sorted_tables}
    assert {name: rows[name] for name in ("followers", "post", "user")} == {
        "followers": "1",
        "post": "3",
        "user": "2",
    }


def test_status_follows_the_migrations(migration_app):
    runner = migration_app.test_cli_runner()
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    head = scripts.get_current_head()
    previous = scripts.get_revision(head).down_revision

    result = runner.invoke(args=["status"])
    assert result.exit_code == 0, result.output
    assert line(result.output, "Migration") == 'none, the database is empty: run "flask db upgrade"'
    assert set(table_rows(result.output).values()) == {"no such table"}

    upgrade(revision=previous)
    result = runner.invoke(args=["status"])
    assert line(result.output, "Migration") == (
        f'{previous} (1 migration behind {head}: run "flask db upgrade")'
    )

    upgrade()
    user = User(username="alice", email="alice@example.com")
    db.session.add_all([user, Post(body="hello", author=user)])
    db.session.commit()
    result = runner.invoke(args=["status"])
    assert line(result.output, "Migration") == f"{head} (head, up to date)"
    rows = table_rows(result.output)
    assert {name: rows[name] for name in ("followers", "post", "user", "role")} == {
        "followers": "0",
        "post": "1",
        "user": "1",
        "role": "2",  # admin and moderator, seeded by the migration
    }

    # Older code run against a database a newer release migrated:
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe1234'"))
    db.session.commit()
    result = runner.invoke(args=["status"])
    assert line(result.output, "Migration") == (
        "f00dcafe1234 (unknown to this code: is the database newer than this Chirp?)"
    )


def app_with_database(url: str):
    class UrlConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(UrlConfig)


def test_status_masks_the_password_of_a_database_it_cannot_reach():
    # Nothing listens on port 1: the URL is still shown (masked) and the error is clear.
    app = app_with_database(f"postgresql+psycopg://chirp:{SECRET}@127.0.0.1:1/chirp")
    result = app.test_cli_runner().invoke(args=["status"])
    assert result.exit_code == 1
    assert "Database:   postgresql+psycopg://chirp:***@127.0.0.1:1/chirp" in result.output
    assert "Error: cannot reach the database" in result.output
    assert SECRET not in result.output


@pytest.mark.usefixtures("app")  # for the schema, emptied afterwards
def test_status_masks_the_password_of_a_postgresql_database():
    url = sa.make_url(TEST_DATABASE_URL)
    if url.get_backend_name() != "postgresql":
        pytest.skip("SQLite URLs have no password")
    # The test server trusts local connections, so any password is accepted.
    app = app_with_database(url.set(password=SECRET).render_as_string(hide_password=False))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["status"])
        db.engine.dispose()  # leave no connection open behind the test
    assert result.exit_code == 0, result.output
    assert line(result.output, "Database") == url.set(password="***").render_as_string()
    assert SECRET not in result.output
    assert set(table_rows(result.output).values()) == {"0"}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://chirp:pw@db:5432/chirp",
            "postgresql+psycopg://chirp:***@db:5432/chirp",
        ),
        (
            "postgresql+psycopg://chirp@db/chirp?password=pw&sslmode=require",
            "postgresql+psycopg://chirp@db/chirp?password=%2A%2A%2A&sslmode=require",
        ),
        (
            "postgresql+psycopg://db/chirp?sslpassword=pw",
            "postgresql+psycopg://db/chirp?sslpassword=%2A%2A%2A",
        ),
        ("sqlite:////srv/chirp/chirp.db", "sqlite:////srv/chirp/chirp.db"),
    ],
)
def test_masked_url(url, shown):
    assert masked_url(sa.make_url(url)) == shown
