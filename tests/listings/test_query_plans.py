"""The page queries read index ranges, never a whole table, and never sort posts (SQLite plans).

PostgreSQL chooses plans by table statistics, so its plans are checked by the benchmark at
1,000,000 posts instead (bench/), not here.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app.listings.keyset import keyset_page, select_pages
from app.listings.likes import liked_posts, liker_cards
from app.listings.people import (
    FOLLOWERS_NEWEST_FIRST,
    FOLLOWING_NEWEST_FIRST,
    cards_named_like,
    follower_cards,
    following_cards,
)
from app.listings.posts import POSTS_NEWEST_FIRST, explore_cards, profile_cards
from app.listings.threads import thread_replies
from app.listings.timeline import home_timeline
from app.models import Post, User, home_feed, home_feed_author, like, profile_stats
from app.models.search import Tag
from app.search.tags import tags_named_like
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("sqlite"), reason="reads SQLite query plans"
)
TIME_INDEX = "ix_post_timestamp_id_user_id_hidden_at_in_reply_to_user_id"
START = datetime(2025, 3, 1, tzinfo=UTC)
WHOLE_TABLE = re.compile(r"\bSCAN (post|user|followers)\b(?! USING)|\bSCAN \w*post\b(?! USING)")


def statements_of(db, action) -> list[tuple[str, object]]:
    """The SQL and parameters of every statement ``action()`` runs."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return statements


def plan_rows(db, sql: str, params) -> list[tuple[int, int, str]]:
    """EXPLAIN QUERY PLAN of one statement: (node id, parent id, detail) rows."""
    connection = db.session.connection().connection.dbapi_connection
    return [
        (row[0], row[1], row[3]) for row in connection.execute("EXPLAIN QUERY PLAN " + sql, params)
    ]


def plans_of(db, action) -> list[str]:
    """The query plan of every statement ``action()`` runs."""
    return [
        "\n".join(detail for _, _, detail in plan_rows(db, sql, params))
        for sql, params in statements_of(db, action)
    ]


def subtree(rows: list[tuple[int, int, str]], root_detail: str) -> list[str]:
    """Details of the plan node ``root_detail`` and of everything under it."""
    (root,) = [node for node, _, detail in rows if detail == root_detail]
    inside, details = {root}, []
    for node, parent, detail in rows:  # parents come before their children
        if node in inside or parent in inside:
            inside.add(node)
            details.append(detail)
    return details


def assert_index_only(plans: list[str], *indexes: str) -> None:
    text = "\n".join(plans)
    assert not WHOLE_TABLE.search(text), text
    for index in indexes:
        assert index in text, text


def test_explore_walks_the_timestamp_index_backwards(db, alice, make_post):
    make_post(alice)
    page = keyset_page(explore_cards(), 3)
    plans = plans_of(db, lambda: keyset_page(explore_cards(), 3, after=page.next_cursor))
    assert_index_only(plans, TIME_INDEX)
    assert "TEMP B-TREE" not in plans[0]


def test_profile_posts_and_counts_use_indexes(db, alice, bob, make_post):
    make_post(alice)
    bob.follow(alice)
    db.session.commit()
    db.session.refresh(alice)  # now, not while plans are recorded
    db.session.refresh(bob)
    plans = plans_of(
        db,
        lambda: (
            keyset_page(profile_cards(alice), 3),
            alice.posts_count(),
            alice.followers_count(),
            alice.following_count(),
            profile_stats(alice, bob),
        ),
    )
    assert_index_only(
        plans,
        "ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id",
        "ix_followers_followed_id_created_at",
    )
    assert "TEMP B-TREE" not in plans[0]
    # Counting from scratch reads index entries alone; a profile reads the stored counts.
    assert all("COVERING INDEX" in plan for plan in plans[1:4])
    assert "SEARCH user_stats USING INTEGER PRIMARY KEY (rowid=?)" in plans[4], plans[4]


def test_home_timeline_reads_only_index_ranges(db, alice, bob, make_post):
    alice.follow(bob)
    make_post(bob)
    db.session.commit()
    timeline = home_timeline(alice)
    for after in (None, keyset_page(timeline, 1).next_cursor):
        plans = plans_of(db, lambda after=after: keyset_page(timeline, 1, after=after))
        assert_index_only(
            plans, TIME_INDEX, "ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id"
        )


def home_page_plans(db, alice, bob, make_post, root_detail: str) -> list[list[str]]:
    """The plan under ``root_detail`` of alice's home page statement (bob wrote 3 posts; a
    page is one post): the first page, the one after it and the one before it."""
    alice.follow(bob)
    for n in range(3):
        make_post(bob, f"post {n}")
    db.session.commit()
    timeline = home_timeline(alice)
    cursor = keyset_page(timeline, 1).next_cursor
    plans = []
    for after, before in ((None, None), (cursor, None), (None, cursor)):
        (*_, (sql, params)) = statements_of(
            db,
            lambda after=after, before=before: keyset_page(timeline, 1, after=after, before=before),
        )
        plans.append(subtree(plan_rows(db, sql, params), root_detail))
    return plans


def test_home_timeline_window_stops_at_the_page_without_sorting(db, alice, bob, make_post):
    # The recent window is one range of the covering (timestamp, id, user_id, hidden_at) index
    # walked in page order until the page is full: no table rows, no sort, in both directions.
    for hits in home_page_plans(db, alice, bob, make_post, "MATERIALIZE hits"):
        (scan,) = [detail for detail in hits if "recent_post" in detail]
        assert scan.startswith(
            f"SEARCH recent_post USING COVERING INDEX {TIME_INDEX} (timestamp"
        ), hits
        posts = [detail for detail in hits if "post" in detail]
        assert all("COVERING INDEX" in detail for detail in posts), hits
        assert not any("TEMP B-TREE" in detail for detail in hits), hits


def test_home_timeline_by_author_reads_each_authors_posts_down_to_the_head_bound(
    db, alice, bob, make_post
):
    # Towards older posts, each author's first posts (the edge) are read from the position
    # down to the page-size-th head at most: the head bound is the lower end of the range of
    # the (user_id, timestamp, id) index (without it, the first page's range had no lower end).
    first, after, _ = home_page_plans(db, alice, bob, make_post, "MATERIALIZE by_author")
    for plan, bounds in ((first, "timestamp>?"), (after, "timestamp>? AND timestamp<?")):
        (edge,) = [detail for detail in plan if "SEARCH edge_post" in detail]
        assert edge == (
            "SEARCH edge_post USING COVERING INDEX "
            f"ix_post_user_id_timestamp_id_hidden_at_in_reply_to_user_id (user_id=? AND {bounds})"
        ), plan


@pytest.mark.parametrize(
    ("listing", "keyset", "index"),
    [
        (follower_cards, FOLLOWERS_NEWEST_FIRST, "ix_followers_followed_id_created_at"),
        (following_cards, FOLLOWING_NEWEST_FIRST, "ix_followers_follower_id_created_at"),
    ],
)
def test_follow_lists_read_a_range_of_their_index_without_sorting(
    db, alice, bob, make_user, listing, keyset, index
):
    # Sorted by name, each page sorted every follower; newest first, it is an index range.
    for n in range(3):
        carol = make_user(f"carol{n}")
        carol.follow(alice)
        alice.follow(carol)
    db.session.commit()
    assert listing(alice, bob).keyset is keyset
    cursor = keyset_page(listing(alice, bob), 1).next_cursor
    for after, before in ((None, None), (cursor, None), (None, cursor)):
        plans = plans_of(
            db,
            lambda after=after, before=before: keyset_page(
                listing(alice, bob), 1, after=after, before=before
            ),
        )
        assert_index_only(plans, index)
        assert "TEMP B-TREE" not in plans[0], plans[0]


def test_people_search_walks_the_name_index_from_the_text_without_sorting(db, alice, make_user):
    for name in ("alfred", "alma", "bob", "carol"):
        make_user(name)
    make_user("albert").suspended_at = alice.created_at
    db.session.commit()
    cursor = keyset_page(cards_named_like("al", alice), 1).next_cursor
    for after, before in ((None, None), (cursor, None), (None, cursor)):
        plans = plans_of(
            db,
            lambda after=after, before=before: keyset_page(
                cards_named_like("al", alice), 1, after=after, before=before
            ),
        )
        assert_index_only(plans)
        assert re.search(r"SEARCH user USING INDEX \w+ \(username_key[<>]", plans[0]), plans[0]
        assert "TEMP B-TREE" not in plans[0], plans[0]


@pytest.mark.parametrize(
    ("listing", "index"),
    [
        (lambda post, user: liker_cards(post, user), "ix_post_like_post_id_created_at"),
        (lambda post, user: liked_posts(user), "ix_post_like_user_id_created_at"),
    ],
)
def test_like_lists_read_a_range_of_their_index_without_sorting(
    db, alice, bob, make_user, make_post, listing, index
):
    # However many likes a post (or a person) has, a page is one range of an index.
    posts = [make_post(bob, f"post {n}") for n in range(3)]
    for n in range(3):
        fan = make_user(f"fan{n}")
        like(fan, posts[0])
        like(alice, posts[n])
    db.session.commit()
    cursor = keyset_page(listing(posts[0], alice), 1).next_cursor
    for after, before in ((None, None), (cursor, None), (None, cursor)):
        plans = plans_of(
            db,
            lambda after=after, before=before: keyset_page(
                listing(posts[0], alice), 1, after=after, before=before
            ),
        )
        assert_index_only(plans, index)
        assert "TEMP B-TREE" not in plans[0], plans[0]


def test_like_counts_are_stored_and_the_readers_likes_found_by_key(db, alice, bob, make_post):
    like(alice, make_post(bob))
    db.session.commit()
    db.session.refresh(alice)  # now, not while plans are recorded
    (plan,) = plans_of(db, lambda: keyset_page(explore_cards(alice), 3))
    # The count is read, one row by its key, not counted in post_like (app/models/counts.py).
    assert "SEARCH post_stats USING INTEGER PRIMARY KEY" in plan, plan
    assert re.search(r"SEARCH viewers_like USING (COVERING |PRIMARY KEY)", plan), plan
    assert not re.search(r"\bSCAN (post_like|viewers_like)\b", plan), plan


def test_home_timeline_from_the_feed_reads_a_range_of_its_key(db, alice, bob, make_post):
    # The feed's rows beyond the position are one range of its primary key in page order (no
    # sort), each post found by its id; in both directions.
    for fast in home_page_plans(db, alice, bob, make_post, "MATERIALIZE fast"):
        (scan,) = [detail for detail in fast if "feed_entry" in detail]
        assert scan.startswith("SEARCH feed_entry USING PRIMARY KEY (user_id=?"), fast
        (read,) = [detail for detail in fast if "feed_post" in detail]
        assert read.startswith("SEARCH feed_post USING INTEGER PRIMARY KEY"), fast


def vm_steps(db, action) -> int:
    """Roughly how many SQLite virtual machine instructions the statements ``action()`` runs
    take (in tens), on whichever connection each runs (a request's too)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    def watch(conn, _cursor, _statement, _parameters, _context, _executemany):
        conn.connection.dbapi_connection.set_progress_handler(count, 10)

    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)
        db.session.connection().connection.dbapi_connection.set_progress_handler(None, 10)
    return steps


def test_home_reads_a_page_of_a_merged_account_not_all_it_wrote_since_the_feed(
    db, alice, bob, make_user, make_post
):
    # alice's page is read from her feed (bob's posts, fanned out) and from the posts of
    # carol, who has too many followers for fan-out. However much carol wrote since bob's
    # posts on the page, the page reads a page's worth of hers: SQLite once read all of them.
    carol = make_user("carol")
    for n in range(current_app.config["HOME_FEED_FANOUT_LIMIT"]):
        make_user(f"fan{n}").follow(carol)
    alice.follow(bob)
    alice.follow(carol)
    db.session.commit()
    for n in range(3):
        make_post(bob, f"bob {n}", START + timedelta(seconds=n))
    written = 0

    def carol_writes(count: int) -> None:
        nonlocal written
        for n in range(written, written + count):
            later = START + timedelta(hours=1, seconds=n)
            db.session.add(Post(body=f"carol {n}", author=carol, timestamp=later))
        written += count
        db.session.commit()

    def page() -> list[int]:
        return [card.id for card in keyset_page(home_timeline(alice), 3).items]

    carol_writes(20)
    assert carol.id in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    few = vm_steps(db, page)
    carol_writes(400)
    many = vm_steps(db, page)
    plain = select_pages(alice.following_posts(), POSTS_NEWEST_FIRST)
    assert page() == [post.id for post in keyset_page(plain, 3).items]
    assert many < few * 1.5, (few, many)


def test_home_walks_past_no_reply_a_merged_account_wrote_to_someone_else(
    db, alice, bob, make_user, make_post
):
    # carol has too many followers for fan-out: her posts are read at page time. Her replies
    # to dave, whom alice does not follow, are fanned out to dave's followers who follow her
    # (none here), so alice's page does not walk past them, however many there are; her
    # replies to bob, whom alice follows, reach alice's feed. (Read at page time, 400 replies
    # to strangers took alice's page from 31 to 379 steps.)
    carol, dave = make_user("carol"), make_user("dave")
    for n in range(current_app.config["HOME_FEED_FANOUT_LIMIT"]):
        make_user(f"fan{n}").follow(carol)
    alice.follow(bob)
    alice.follow(carol)
    db.session.commit()
    assert carol.id in set(db.session.scalars(sa.select(home_feed_author.c.user_id)))
    to_dave = make_post(dave, "dave's", START)
    to_bob = make_post(bob, "bob's", START)
    for n in range(3):
        make_post(carol, f"carol {n}", START + timedelta(seconds=n))
    written = 0

    def carol_answers(post: Post, count: int) -> None:
        nonlocal written
        for n in range(written, written + count):
            reply = post.reply(carol, f"re {n}")
            reply.timestamp = START + timedelta(hours=1, seconds=n)
        written += count
        db.session.commit()

    def page() -> list[int]:
        return [card.id for card in keyset_page(home_timeline(alice), 3).items]

    carol_answers(to_dave, 20)
    few = vm_steps(db, page)
    carol_answers(to_dave, 400)
    many = vm_steps(db, page)
    assert many < few * 1.5, (few, many)
    carol_answers(to_bob, 2)
    plain = select_pages(alice.following_posts(), POSTS_NEWEST_FIRST)
    assert page() == [post.id for post in keyset_page(plain, 3).items]
    assert len(set(page()) & set(db.session.scalars(sa.select(home_feed.c.post_id)))) >= 2


def test_a_deep_thread_page_reads_from_its_cursor(db, alice, bob, make_post):
    # Page 40 of a thread costs what page 1 does, both ways: the cursor's path is the end of
    # the range read, not a second bound beside the thread's (SQLite walked every page before).
    root = make_post(bob, "root", START)
    for n in range(150):
        root.reply(alice if n % 2 else bob, f"r{n}").timestamp = START + timedelta(seconds=n)
    db.session.commit()
    replies = thread_replies(root, alice)
    pages = [keyset_page(replies, 3)]
    while pages[-1].next_cursor:
        pages.append(keyset_page(replies, 3, after=pages[-1].next_cursor))
    assert [item.id for page in pages for item in page.items] == [
        post.id
        for post in db.session.scalars(
            sa.select(Post).where(Post.id != root.id).order_by(Post.thread_path)
        )
    ]
    first = vm_steps(db, lambda: keyset_page(replies, 3, after=pages[0].next_cursor))
    for page in pages[39], pages[-2]:
        assert vm_steps(db, lambda page=page: keyset_page(replies, 3, after=page.next_cursor)) < (
            first * 1.5
        )
        assert vm_steps(db, lambda page=page: keyset_page(replies, 3, before=page.prev_cursor)) < (
            first * 1.5
        )


def request_steps(db, client, url: str) -> int:
    """:func:`vm_steps` of one GET of ``url`` (it must answer 200)."""

    def get() -> None:
        assert client.get(url).status_code == 200, url

    return vm_steps(db, get)


def test_pages_cost_the_same_however_many_accounts_are_suspended(
    db, alice_client, alice, bob, make_user, make_post, make_reply
):
    # Pages ask about each author, liker or person they show, not for a list of everyone
    # suspended: once every statement built that list, so spam accounts, suspended by the
    # thousand, made every page slower.
    carol = make_user("carol")  # merged into home at page time: more followers than fan-out
    for n in range(current_app.config["HOME_FEED_FANOUT_LIMIT"]):
        make_user(f"fan{n}").follow(carol)
    alice.follow(bob)
    alice.follow(carol)
    db.session.commit()
    root = make_post(bob, "a walk by the #canal", START)
    for n in range(30):
        author = (bob, carol, alice)[n % 3]
        make_post(author, f"post {n} about #rain", START + timedelta(minutes=n))
        make_reply(root, author, f"reply {n}", START + timedelta(minutes=n, seconds=30))
        like(carol, root)
    db.session.commit()
    urls = [
        "/",
        "/explore",
        "/user/bob",
        "/user/bob/followers",
        "/user/carol/followers",
        f"/post/{root.id}",
        f"/post/{root.id}/likes",
        "/search?q=fa",
        "/search/posts?q=post",
        "/tags/rain",
    ]
    for url in urls:  # the feed built, statements prepared
        request_steps(db, alice_client, url)
    before = {url: request_steps(db, alice_client, url) for url in urls}
    db.session.execute(
        sa.insert(User),
        [
            {
                "username": f"spam{n}",
                "username_key": f"spam{n}",
                "email": f"spam{n}@example.com",
                "suspended_at": START,
            }
            for n in range(500)
        ],
    )
    db.session.commit()
    after = {url: request_steps(db, alice_client, url) for url in urls}
    grown = {url: (before[url], after[url]) for url in urls if after[url] > before[url] * 1.1 + 5}
    assert not grown


def test_people_search_reads_only_the_names_that_start_with_the_text(db, alice, make_user):
    # The walk along the name index stops where the names starting with the text end: a
    # search that finds one person (or nobody) once read every name after the text.
    make_user("zed")
    named = {
        text: lambda text=text: keyset_page(cards_named_like(text, alice), 3)
        for text in ("ze", "al")
    }
    before = {text: vm_steps(db, search) for text, search in named.items()}
    db.session.execute(
        sa.insert(User),
        [
            {"username": f"zzz{n}", "username_key": f"zzz{n}", "email": f"z{n}@example.com"}
            for n in range(300)
        ],
    )
    db.session.commit()
    assert [card.username for card in named["ze"]().items] == ["zed"]
    after = {text: vm_steps(db, search) for text, search in named.items()}
    assert all(after[text] <= before[text] + 5 for text in named), (before, after)


def test_tag_search_reads_only_the_tags_that_start_with_the_text(db, alice, make_post):
    # As the people search: one range of the name index, however many tags follow it.
    make_post(alice, "#zebra")
    search = lambda: keyset_page(tags_named_like("zeb"), 3)  # noqa: E731
    before = vm_steps(db, search)
    db.session.execute(sa.insert(Tag), [{"name": f"zz{n}"} for n in range(300)])
    db.session.commit()
    assert [tag.name for tag in search().items] == ["zebra"]
    assert vm_steps(db, search) <= before + 5
