"""Pages run a small, fixed number of SQL statements, however many items they show."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.listings import timeline
from app.models import Like, Post, User, followers
from app.models.search import rebuild_index
from app.search.tags import forget_trending
from tests.helpers import TEST_DATABASE_URL

START = datetime(2025, 6, 1, tzinfo=UTC)


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
                "body": f"post {n} by {p.username} #busy",
                "user_id": p.id,
                "timestamp": START + timedelta(minutes=n * 40 + i),
            }
            for i, p in enumerate(people)
            for n in range(2)
        ],
    )
    # Alice liked every post, and everyone liked post 1: likes cost no statement per card.
    db.session.execute(
        sa.insert(Like),
        [{"user_id": alice.id, "post_id": post_id} for post_id in range(1, 81)]
        + [{"user_id": p.id, "post_id": 1} for p in people],
    )
    rebuild_index(db.session.connection())  # bulk-inserted posts: index them for search
    db.session.commit()
    return people


# The most statements each page may run: the logged-in user (with their roles), then the page's
# own queries. The trending tags (explore, and the side column of home, profiles and threads)
# are counted at most once a minute per process: not here, where the first request of each
# page counted them (see test_trending_tags_cost_one_statement_a_minute).
# On PostgreSQL post searches naming tags or people first ask for custom plans
# (app.database.custom_plans); word searches, tag pages and people search need none.
PLANS = 1 if TEST_DATABASE_URL.startswith("postgresql") else 0
PAGES = {
    "/": 3,  # user, timeline, who to follow
    "/explore": 2,  # user, posts with their authors
    "/user/writer7": 7,  # user, profile, posts, 3 counts, "do I follow them?"
    "/user/writer7/with_replies": 7,
    "/user/alice/followers": 3,  # user, profile, people
    "/user/alice/following": 3,
    "/search?q=writer": 2,  # user, people with "do I follow them?"
    "/post/1/likes": 3,  # user, the post with its author and its card, who liked it
    "/user/alice/likes": 4,  # user, the profile's owner, its counts, the posts she liked
    "/search/posts?q=post+by": 2,  # user, matching posts with their authors
    "/search/posts?q=post+by&sort=relevant": 2,  # the same, scored in the statement
    "/search/posts?q=%23busy+from:writer7": 2 + PLANS,
    "/tags/busy": 3,  # user, the tag, its posts
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


@pytest.mark.parametrize("url", ["/", "/explore", "/user/writer7", "/post/1"])
def test_trending_tags_cost_one_statement_a_minute(app, db, busy, alice_client, statements, url):
    """Explore and the side column show the trending tags on every view: counted by the first
    view of a process (one statement, the same on each of these pages; on PostgreSQL after a
    setting that plans it for its window), then read from memory."""
    alice_client.get(url)
    forget_trending(app)  # as in a new process
    statements.clear()
    alice_client.get(url)
    counting = list(statements)
    statements.clear()
    alice_client.get(url)
    extra = [statement for statement in counting if statement not in statements]
    planning = [statement for statement in extra if "plan_cache_mode" in statement]
    assert len(planning) == (db.engine.dialect.name == "postgresql")
    assert len(counting) == len(statements) + len(extra)
    [count] = [statement for statement in extra if statement not in planning]
    assert "post_tag" in count
    assert "GROUP BY tag.name" in count


# A page with a cursor asks first whether it is past the reader's feed; if so, the feed goes
# deeper first (app.listings.timeline.deepen_home_feed): a few writes each time, at most
# DEEPEN_AT_MOST times.
DEEPEN_CHECK = 1
DEEPEN_STATEMENTS = 6 + PLANS + 2  # the locks, the window's edge, the rows, the horizon; commit


def test_older_timeline_pages_run_as_few_statements(app, db, busy, alice_client, statements):
    app.config["POSTS_PER_PAGE"] = 10
    alice_client.get("/")
    for walk in ("past the feed", "the feed made deeper"):
        url = "/"
        for n in range(5):
            statements.clear()
            page = alice_client.get(url).get_data(as_text=True)
            assert 'class="post"' in page
            if n == 0:
                assert len(statements) <= PAGES["/"]
            elif walk == "past the feed":
                deeper = timeline.DEEPEN_AT_MOST * (DEEPEN_STATEMENTS + DEEPEN_CHECK)
                assert len(statements) <= PAGES["/"] + DEEPEN_CHECK + deeper
            else:
                assert len(statements) <= PAGES["/"] + DEEPEN_CHECK
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


def thread_of(db, author: User, replies: int) -> list[Post]:
    """A conversation of ``replies`` replies under a post by ``author``: a chain ten deep, the
    rest answering its posts in turn (so replies with replies of their own, at every depth)."""
    posts = [Post(body="root", author=author, timestamp=START)]
    db.session.add(posts[0])
    db.session.flush()
    for n in range(replies):
        parent = posts[n] if n < 10 else posts[n % 10]
        reply = parent.reply(author, f"reply {n}")
        reply.timestamp = START + timedelta(seconds=n + 1)
        posts.append(reply)
    db.session.commit()
    return posts


@pytest.mark.parametrize("replies", [12, 300])
def test_thread_pages_run_a_fixed_number_of_statements(
    app, db, alice, alice_client, statements, replies
):
    # User, the post's card and place in the thread, the posts above it, a page of replies: the
    # same however large the thread, on its first page and deep in it.
    app.config["POSTS_PER_PAGE"] = 10
    posts = thread_of(db, alice, replies)
    url = f"/post/{posts[5].id}"
    alice_client.get(url)
    for _ in range(4 if replies > 100 else 1):
        statements.clear()
        page = alice_client.get(url).get_data(as_text=True)
        assert page.count('class="post"') >= 8
        assert len(statements) == 4, statements
        next_link = re.search(r'<a href="([^"]+)" rel="next"', page)
        url = html.unescape(next_link.group(1)) if next_link else url
