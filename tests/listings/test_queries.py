"""Pages run a small, fixed number of SQL statements, however many items they show."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.models import Post, User, followers
from tests.helpers import TEST_DATABASE_URL

START = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def statements(db):
    """The SQL statements run while the test goes on (cleared by the test as it likes)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def busy(db, alice):
    """Alice follows 40 people (and is followed by them), each of whom wrote 2 posts."""
    people = [User(username=f"writer{n}", email=f"w{n}@example.com") for n in range(40)]
    db.session.add_all(people)
    db.session.flush()
    db.session.execute(
        sa.insert(followers),
        [{"follower_id": alice.id, "followed_id": p.id} for p in people]
        + [{"follower_id": p.id, "followed_id": alice.id} for p in people],
    )
    db.session.execute(
        sa.insert(Post),
        [
            {
                "body": f"post {n} by {p.username}",
                "user_id": p.id,
                "timestamp": START + timedelta(minutes=n * 40 + i),
            }
            for i, p in enumerate(people)
            for n in range(2)
        ],
    )
    db.session.commit()
    return people


# The most statements each page may run: the logged-in user (with their roles), then the page's
# own queries.
PAGES = {
    "/": 3,  # user, timeline, who to follow
    "/explore": 3,  # user, posts with their authors, who to follow
    "/user/writer7": 8,  # user, profile, posts, 3 counts, "do I follow them?", who to follow
    "/user/alice/followers": 3,  # user, profile, people
    "/user/alice/following": 3,
    "/search?q=writer": 2,  # user, people with "do I follow them?"
}


@pytest.mark.parametrize(("url", "most"), PAGES.items())
def test_statements_per_page_do_not_grow_with_page_size(
    app, db, busy, alice_client, statements, url, most
):
    counts = []
    for per_page in (2, 30):
        app.config["POSTS_PER_PAGE"] = per_page
        alice_client.get(url)  # last_seen is written at most once a minute: get that done
        statements.clear()
        response = alice_client.get(url)
        assert response.status_code == 200
        counts.append(len(statements))
        shown = response.get_data(as_text=True).count('class="post"') + response.get_data(
            as_text=True
        ).count('class="person"')
        assert shown >= min(per_page, 2)
    assert counts[0] == counts[1] <= most


def test_older_timeline_pages_run_as_few_statements(app, db, busy, alice_client, statements):
    app.config["POSTS_PER_PAGE"] = 10
    alice_client.get("/")
    url = "/"
    for _ in range(5):
        statements.clear()
        page = alice_client.get(url).get_data(as_text=True)
        assert 'class="post"' in page
        assert len(statements) <= PAGES["/"]
        url = html.unescape(re.search(r'<a href="([^"]+)" rel="next"', page).group(1))


def test_healthz_renders_without_the_database(client, statements):
    statements.clear()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "ok" in response.get_data(as_text=True)
    assert statements == []


def test_healthz_logged_in_only_loads_the_user(db, alice_client, statements):
    # Flask-Login puts current_user in every template's context, so rendering loads the user.
    statements.clear()
    assert alice_client.get("/healthz").status_code == 200
    assert len(statements) == 1


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"), reason="PostgreSQL setting")
def test_postgresql_does_not_jit_compile_page_queries(db):
    # The home timeline's cost estimate is large enough for JIT, which costs far more than
    # the query itself (tens of milliseconds against about one).
    assert db.session.scalar(sa.text("SHOW jit")) == "off"
