"""Behaviour that only a database server shows (skipped on SQLite)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.database import custom_plans
from app.extensions import db as _db
from app.listings.keyset import keyset_page
from app.listings.timeline import home_timeline
from app.models import Post, User
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


def prepared_statements(app) -> list[tuple[str, int]]:
    """(statement, generic plans used) of every statement prepared on the app's pooled
    connections: each is checked out at once, so none is missed."""
    with app.app_context():
        engine = _db.engine
        connections = [engine.connect() for _ in range(engine.pool.checkedin() + 1)]
        try:
            return [
                (statement, generic)
                for connection in connections
                for statement, generic in connection.exec_driver_sql(
                    "SELECT statement, generic_plans FROM pg_prepared_statements"
                )
            ]
        finally:
            for connection in connections:
                connection.close()


@pytest.fixture
def fresh_pool(app):
    """The app's engine without pooled connections: the worker's tests share it
    (tests/conftest.py), and its pool hands the connections earlier tests left in turn, so
    repeated requests would not meet the same connection, as they do in a server's worker."""
    with app.app_context():
        _db.engine.dispose()


@pytest.mark.usefixtures("fresh_pool")
def test_page_statements_stay_prepared_from_one_request_to_the_next(app, alice_client):
    # psycopg prepares a statement on its fifth run on a connection, and forgets them all on a
    # rollback: pages now end with a commit when they wrote nothing, so the plans are kept.
    for _ in range(8):
        assert alice_client.get("/").status_code == 200
    statements = prepared_statements(app)
    loads_the_user = [generic for statement, generic in statements if 'FROM "user"' in statement]
    assert loads_the_user
    assert max(loads_the_user) >= 2  # planned once, then reused


def test_a_write_that_is_rolled_back_is_not_kept(db, alice):
    alice.about_me = "written, then rolled back"
    db.session.flush()
    db.session.rollback()
    stored = db.session.scalar(sa.select(User.about_me).where(User.id == alice.id))
    assert stored != "written, then rolled back"


def test_a_failed_transaction_is_rolled_back(db, alice):
    with pytest.raises(sa.exc.ProgrammingError):
        db.session.execute(sa.text("SELECT no_such_column FROM post"))
    db.session.rollback()
    assert db.session.scalar(sa.select(User.username).where(User.id == alice.id)) == "alice"


def test_pages_use_generic_plans_and_name_searches_keep_them(db, alice_client, statements):
    # A generic plan is made once per connection. The name searches read a range of the
    # name index between two parameters, which a generic plan reads as such: no custom plans
    # (with LIKE they needed one to see the name's start as a range).
    assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == "force_generic_plan"
    statements.clear()
    for url in ("/search?q=ali", "/search/tags?q=ali"):
        assert alice_client.get(url).status_code == 200
    assert not any(sql.startswith("SET") for sql in statements)
    assert any("username_key < %(name_end)s" in sql for sql in statements)
    custom_plans(db.session)
    assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == "force_custom_plan"


@pytest.mark.parametrize(
    ("url", "in_text"),
    [
        ("/search/posts?q=hello", "CAST('(''hello'')' AS TSQUERY)"),
        ("/search/posts?q=hello+-world", "CAST('(''world'')' AS TSQUERY)"),
        ("/search/posts?q=hello&sort=relevant", "CAST('(''hello'')' AS TSQUERY)"),
        ("/tags/hello", "post_tag.tag_id = "),
    ],
)
@pytest.mark.usefixtures("fresh_pool")
def test_word_searches_and_tag_pages_keep_a_plan_made_for_their_values(
    app, db, alice, make_post, alice_client, statements, url, in_text
):
    # What decides their plan (the words, the tag, how many rows) is in the statement's text,
    # so the generic plan the connection keeps is made for it: no custom plans, no planning
    # on every request.
    make_post(alice, "hello #hello")
    db.session.commit()
    statements.clear()
    for _ in range(8):
        assert alice_client.get(url).status_code == 200
    assert not any(sql.startswith("SET") for sql in statements)
    page = next(sql for sql in statements if in_text in sql)
    for parameter in ("%(tag_id)s", "%(page_limit)s", "%(relevance_window)s", "OFFSET %("):
        assert parameter not in page
    generic = [used for statement, used in prepared_statements(app) if in_text in statement]
    assert generic
    assert max(generic) >= 2  # planned once, then reused


def test_home_statements_are_parsed_once_by_psycopg(db, alice, bob, make_post):
    # psycopg keeps the parse of a statement's parameters only up to a length (4,096 bytes by
    # default); home's statement is four times that, parsed afresh on every page without
    # app.database.keep_long_statements_parsed. If psycopg moves its limit, this says so.
    from psycopg import _queries

    alice.follow(bob)
    make_post(bob)
    _db.session.commit()
    keyset_page(home_timeline(alice), 5)
    texts = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        texts.append(statement)

    before = _queries._query2pg.cache_info()
    sa.event.listen(_db.engine, "before_cursor_execute", record)
    try:
        keyset_page(home_timeline(alice), 5)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", record)
    after = _queries._query2pg.cache_info()
    assert max(len(text.encode()) for text in texts) > 4096
    assert after.hits - before.hits == len(texts)
