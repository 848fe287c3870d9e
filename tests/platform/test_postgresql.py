"""Behaviour that only a database server shows (skipped on SQLite)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.models import Post
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    sa.make_url(TEST_DATABASE_URL).get_backend_name() != "postgresql",
    reason="needs a PostgreSQL server (TEST_DATABASE_URL)",
)


def kill_other_connections() -> int:
    """Close every other connection to the test database, as a server restart would."""
    engine = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        killed = connection.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()
    return killed


def test_pages_work_after_the_database_dropped_its_connections(db, alice_client):
    assert alice_client.get("/").status_code == 200
    assert kill_other_connections() >= 1  # the app's pooled connection
    assert alice_client.get("/").status_code == 200


def test_timestamps_ignore_the_session_time_zone(db, alice, make_post):
    columns = {c["name"]: c["type"] for c in sa.inspect(db.engine).get_columns("post")}
    assert columns["timestamp"].timezone  # timestamptz: PostgreSQL stores the instant
    written = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    post = make_post(alice, "x", written)
    db.session.execute(sa.text("SET LOCAL TIME ZONE 'Asia/Kathmandu'"))
    db.session.expire_all()
    read = db.session.get(Post, post.id).timestamp
    assert read == written
    assert read.tzinfo is UTC
