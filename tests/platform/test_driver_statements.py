"""DriverStatement: a Core statement compiled once and sent as its text does what
``connection.execute()`` of the statement does (both databases)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.database import DriverStatement
from app.models import Post

POST = Post.__table__


def newest_body_since():
    """A statement with a typed parameter used twice, a LIMIT it carries itself and a
    timezone-aware datetime to convert (SQLite stores it naive, in UTC)."""
    return (
        sa.select(POST.c.body, POST.c.timestamp)
        .where(
            POST.c.user_id == sa.bindparam("author_id", type_=sa.Integer),
            POST.c.timestamp > sa.bindparam("since", type_=POST.c.timestamp.type),
            POST.c.id != sa.bindparam("author_id", type_=sa.Integer),
        )
        .order_by(POST.c.timestamp.desc(), POST.c.id.desc())
        .limit(2)
    )


def test_the_same_rows_as_execute(db, alice, bob, make_post):
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for minutes, author, body in [(1, alice, "one"), (2, bob, "bob's"), (3, alice, "two")]:
        make_post(author, body, timestamp=start + timedelta(minutes=minutes))
    make_post(alice, "three", timestamp=start + timedelta(minutes=4))
    connection = db.session.connection()
    statement = newest_body_since()
    driver = DriverStatement(statement, connection.dialect)
    # Another zone, to be converted to UTC on the way in, as the column type does.
    since = (start + timedelta(minutes=1, seconds=30)).astimezone(timezone(timedelta(hours=5)))
    parameters = {"author_id": alice.id, "since": since}
    expected = connection.execute(statement, parameters).all()
    rows = driver.execute(connection, parameters).all()
    assert [body for body, _ in expected] == ["three", "two"]
    assert [body for body, _ in rows] == ["three", "two"]
    # The text's result is the driver's (no column type on the way out): SQLite gives text.
    assert [type(value) for _, value in rows] in ([str, str], [datetime, datetime])


def test_a_naive_datetime_is_refused_as_by_the_column_type(db):
    driver = DriverStatement(newest_body_since(), db.session.connection().dialect)
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 (the naive value is the point)
    with pytest.raises(ValueError, match="naive"):
        driver.execute(db.session.connection(), {"author_id": 1, "since": naive})


def test_an_in_list_is_refused():
    statement = sa.select(POST.c.id).where(POST.c.id.in_(sa.bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        DriverStatement(statement, sqlite.dialect())


def test_it_runs_only_on_the_database_it_was_compiled_for(db):
    connection = db.session.connection()
    other = sqlite.dialect() if connection.dialect.name == "postgresql" else postgresql.dialect()
    driver = DriverStatement(newest_body_since(), other)
    with pytest.raises(ValueError, match="compiled for"):
        driver.execute(connection, {"author_id": 1, "since": datetime.now(UTC)})
