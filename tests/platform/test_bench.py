"""The benchmark's helpers, on a small fake database (the benchmark itself is not a test)."""

import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from app.listings.keyset import keyset_page, select_pages
from app.listings.posts import POSTS_NEWEST_FIRST
from app.listings.timeline import home_timeline
from app.models import (
    Notification,
    Post,
    User,
    followers,
    home_feed_author,
    home_feed_horizon,
    mention,
)
from app.models.feed import (
    build_home_feed,
    create_feed_triggers,
    rebuild_home_feeds,
    short_feed_readers,
)
from app.models.search import rebuild_index
from bench.accounts import confirm_bench_accounts
from bench.ceiling import ceiling_app
from bench.cpu import database_url, ms_per_request
from bench.dbtime import is_setting, page_statements, time_statements
from bench.explain import explain_page
from bench.feed import WAYS, time_posting
from bench.load import Load, parse_wrk, serve
from bench.notifications import NOTIFIED, UNREAD, add_notified_accounts
from bench.pg import copy_from_sqlite
from bench.run import paired, refill_short_feeds, target_rows, vacuum_after_adding
from bench.seed import SIZES
from bench.seedtime import fake_command_line
from bench.subjects import (
    DEEP_PAGES,
    RARE_READER,
    BenchPage,
    add_rare_reader,
    bench_pages,
    search_bench_pages,
)
from bench.threads import THREAD_READER, THREAD_REPLIES, add_big_thread
from bench.writes import (
    MARKER,
    Gate,
    Round,
    combined,
    count_posts,
    default_sides,
    delete_posts,
    parse_side,
    pick_cast,
    writer_for,
)
from bench.wsgi import FLOOR, add_logged_in_floor
from tests.helpers import PASSWORD, TEST_DATABASE_URL, FormClient, TestConfig, log_in
from tests.search.test_index import expected, sample_queries, searched, snapshot

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:5000/
  2 threads and 8 connections
BENCH requests=1200 duration_us=2000000 not_ok=3 socket_errors=1 p50_us=5250 p99_us=20125
"""


def test_parse_wrk():
    load = parse_wrk(WRK_OUTPUT)
    assert load.per_second == 600
    assert load.not_ok == 4
    assert (load.p50_ms, load.p99_ms) == (5.25, 20.125)


def test_parse_wrk_refuses_other_output():
    with pytest.raises(RuntimeError, match="unexpected wrk output"):
        parse_wrk("Running 2s test\n")


def test_pages_and_their_statements(app, runner, db):
    assert (
        runner.invoke(args=["fake", "--users", "40", "--posts", "500", "--follows", "6"]).exit_code
        == 0
    )
    add_logged_in_floor(app)
    add_rare_reader()
    add_rare_reader()  # once only
    add_big_thread()
    add_big_thread()
    add_notified_accounts()
    add_notified_accounts()
    pages = bench_pages(per_page=3)
    assert [p.url.split("?")[0] for p in pages] == [
        "/healthz",
        "/bench/floor",
        "/",
        "/",
        "/",
        "/",
        "/",
        "/explore",
        pages[8].url,
        pages[8].url + "/followers",
        pages[10].url,
        "/search",
        pages[12].url,
        pages[12].url,
        "/",
        "/notifications",
        "/notifications/unread",
        "/search/posts",
        "/search/posts",
        "/search/posts",
        "/search/posts",
        pages[-1].url,
    ]
    assert pages[12].url.startswith("/post/")
    # People by the commonest start of a name, so that every size lists as many as it can.
    keys = db.session.scalars(sa.select(User.username_key)).all()
    starts = Counter(key[:2] for key in keys)
    assert starts[pages[11].url.removeprefix("/search?q=")] == max(starts.values())
    # Who liked the most liked post.
    assert re.fullmatch(r"/post/\d+/likes", pages[10].url)
    assert pages[10].name.startswith("liked by, ")
    assert "after=" in pages[13].url
    assert any(p.username == RARE_READER for p in pages)
    assert pages[14].username == THREAD_READER
    # At this size every post names the notified account (there are fewer than 100,000).
    posts = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
    assert pages[15].name == f"notifications, {posts}"
    assert (pages[15].username, pages[16].username) == (NOTIFIED, UNREAD)
    assert pages[-1].url.startswith("/tags/")
    assert pages[-2].url.endswith("&sort=relevant")
    for page in pages:
        statements = page_statements(app, page.url, page.username)
        timing = time_statements(app, statements, runs=2)
        reads = [sql for sql, _ in statements if not is_setting(sql)]
        assert timing.statements == len(reads)
        # No bench page asks PostgreSQL for custom plans (a replay would have to ask too): the
        # people search reads a range between two parameters, post searches by words and tag
        # pages write what decides their plan into the statement.
        assert [sql for sql, _ in statements if is_setting(sql)] == []
        assert timing.median_ms >= timing.worst_statement_ms >= 0
    assert page_statements(app, "/healthz", None) == []
    # The logged-in floor reads the session user (with their roles), and nothing else.
    [(load_user, _)] = page_statements(app, FLOOR, pages[1].username)
    assert "FROM user" in load_user.replace('"', "")
    assert app.test_client().get(FLOOR).status_code == 302  # nobody logged in: to the login


def test_search_pages_without_hashtags_are_left_out_with_a_note(db, alice, make_post, capsys):
    # Not flask fake's data: no hashtag, and no text of two words.
    for body in ("sparrows", "nightingales", "sparrows"):
        make_post(alice, body)
    pages = search_bench_pages(alice.username)
    # The common and the rare word (here the same: one post of three is nearest to 1%), and
    # the common one by relevance.
    assert [page.url for page in pages] == ["/search/posts?q=nightingales"] * 2 + [
        "/search/posts?q=nightingales&sort=relevant"
    ]
    notes = capsys.readouterr().err
    assert "the phrase search left out of the benchmark: no post of two words" in notes
    assert "the tag page left out of the benchmark: no hashtag in the first 3 posts" in notes

    make_post(alice, "#rain again")
    assert search_bench_pages(alice.username)[-1].url == "/tags/rain"


def test_the_phrase_searched_is_the_commonest_pair_of_neighbouring_words(db, alice, make_post):
    # Commonest so that it fills a page at every size; a pair counts once per post.
    for body in ("blue jay, blue jay, blue jay", "red kite soars", "a red kite sleeps"):
        make_post(alice, body)
    [phrase] = [page for page in search_bench_pages(alice.username) if "phrase" in page.key]
    assert (phrase.name, phrase.url) == (
        "search, phrase 'red kite'",
        "/search/posts?q=%22red+kite%22",
    )


def test_search_pages_of_posts_without_words(db, alice, make_post, capsys):
    make_post(alice, "42 !")
    assert search_bench_pages(alice.username) == []
    assert "the word searches left out" in capsys.readouterr().err


def test_targets_are_checked_page_by_page():
    def load(per_second, p50, p99, not_ok=0):
        return {"per_second": per_second, "p50_ms": p50, "p99_ms": p99, "not_ok": not_ok}

    def timing(ms):
        return {"statements": 2, "median_ms": ms, "worst_statement_ms": ms}

    floors = {"floor: /healthz": load(1000, 1, 2), "floor, logged in": load(800, 1, 2)}
    report = {
        "http": {
            "S PostgreSQL": {**floors, "home, follows 99": load(500, 10, 20)},
            "L PostgreSQL": {**floors, "home, follows 2000": load(300, 12, 40, 1)},
            "L SQLite": {**floors, "home, follows 2000": load(450, 12, 40)},
        },
        "db": {
            "L SQLite": {**dict.fromkeys(floors, timing(0)), "home, follows 2000": timing(0.5)},
            "L PostgreSQL": {**dict.fromkeys(floors, timing(0)), "home, follows 2000": timing(6)},
        },
        # The heaviest follower's home, whose name differs with the size.
        "keys": {
            database: {"home, follows 99": "home, heaviest", "home, follows 2000": "home, heaviest"}
            for database in ("S PostgreSQL", "L PostgreSQL", "L SQLite")
        },
    }
    rows = dict(target_rows(report))
    assert set(rows) == {"L PostgreSQL: home, follows 2000", "L SQLite: home, follows 2000"}
    assert {label: met for label, _, met in rows["L PostgreSQL: home, follows 2000"]} == {
        "DB ms": False,  # 6 ms
        "/floor logged in": False,  # 300 of 800 req/s: 38%
        "non-2xx": False,
        "/S p50": True,  # 1.2
        "/S p99": False,  # 2.0
    }
    # No S on SQLite to compare with; 450 of 800 req/s is over half.
    assert {label: met for label, _, met in rows["L SQLite: home, follows 2000"]} == {
        "DB ms": True,
        "/floor logged in": True,
        "non-2xx": True,
    }


def test_sizes_are_paired_by_page_key_not_position():
    """A page left out at one size (here S's phrase search) must not shift the pairs after
    it: each L page is compared with the S page of the same key, whatever its name."""

    def load(p50):
        return {"per_second": 500, "p50_ms": p50, "p99_ms": 2 * p50, "not_ok": 0}

    floors = {"floor: /healthz": load(1), "floor, logged in": load(1)}
    report = {
        "http": {
            "S SQLite": {**floors, "home, follows 99": load(4), "tag page #sea": load(10)},
            "L SQLite": {
                **floors,
                "home, follows 101": load(5),
                "search, phrase 'a b'": load(3),
                "tag page #sky": load(12),
            },
        },
        "db": {},
        "keys": {
            "S SQLite": {"home, follows 99": "home", "tag page #sea": "tag page"},
            "L SQLite": {
                "home, follows 101": "home",
                "search, phrase 'a b'": "search, phrase",
                "tag page #sky": "tag page",
            },
        },
    }
    pairs = {name: small for name, small, _ in paired(report, "http", "S SQLite", "L SQLite")}
    assert pairs == {
        "floor: /healthz": floors["floor: /healthz"],
        "floor, logged in": floors["floor, logged in"],
        "home, follows 101": load(4),
        "search, phrase 'a b'": None,  # not measured at S: no ratio rather than a wrong one
        "tag page #sky": load(10),
    }
    ratios = {
        name: {label: round(figure, 2) for label, figure, _ in checks if label.startswith("/S")}
        for name, checks in target_rows(report)
    }
    assert ratios == {
        "L SQLite: home, follows 101": {"/S p50": 1.25, "/S p99": 1.25},
        "L SQLite: search, phrase 'a b'": {},
        "L SQLite: tag page #sky": {"/S p50": 1.2, "/S p99": 1.2},
    }


def test_every_bench_page_has_a_key_without_the_sizes_figures(app, runner, db):
    """The keys bench/run.py pairs sizes by: unique, and free of the size's counts."""
    assert runner.invoke(args=["fake", "--users", "40", "--posts", "500"]).exit_code == 0
    add_rare_reader()
    add_big_thread()
    add_notified_accounts()
    pages = bench_pages(per_page=3)
    keys = [page.key for page in pages]
    assert len(set(keys)) == len(keys)
    # Only figures that are the same at any size: the reader who follows about 100, the page
    # depth, the thread's replies and the bell's "99+"; the names also hold the follow,
    # follower and like counts.
    assert {n for key in keys for n in re.findall(r"\d+", key)} == {
        "100",
        str(DEEP_PAGES + 1),
        str(THREAD_REPLIES),
        "99",
    }
    assert len({n for page in pages for n in re.findall(r"\d+", page.name)}) > 3


def test_the_ceiling_page_is_home_without_any_sql(app, runner, db):
    assert runner.invoke(args=["fake", "--users", "40", "--posts", "500"]).exit_code == 0
    add_rare_reader()
    ceiling_app(app)
    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    page = app.test_client().get("/ceiling/home").get_data(as_text=True)
    assert statements == []
    assert page.count('<article class="post') == app.config["POSTS_PER_PAGE"]
    assert 'rel="next"' in page
    assert "Log out" in page


def test_cpu_time_per_request_of_a_page(app, runner, db):
    assert runner.invoke(args=["fake", "--users", "20", "--posts", "100"]).exit_code == 0
    someone = db.session.scalar(sa.select(User.username).order_by(User.id).limit(1))
    explore = BenchPage("explore", "/explore", someone)
    cpu, wall = ms_per_request(app, explore, requests=3, batches=2)
    assert 0 < cpu < 10_000
    assert 0 < wall < 10_000
    missing = BenchPage("nothing", "/no/such/page", explore.username)
    with pytest.raises(RuntimeError, match="answered 404"):
        ms_per_request(app, missing, requests=3, batches=1)


def test_the_cpu_bench_takes_a_sqlite_file_or_a_url(tmp_path):
    url = "postgresql+psycopg://postgres@127.0.0.1:5999/chirp_l"
    assert database_url(url, "L") == url
    (tmp_path / "copy.db").touch()
    assert database_url(str(tmp_path / "copy.db"), "L") == f"sqlite:///{tmp_path / 'copy.db'}"
    with pytest.raises(FileNotFoundError, match=r"bench\.run"):
        database_url(str(tmp_path / "missing.db"), "L")


def test_the_write_load_posts_through_the_form_and_counts_the_rows(shared_app, shared_db):
    """The write load's clients against a real gunicorn: each post goes through the login and
    home forms (CSRF and all), is counted in the database, and is deleted at the end."""
    result = shared_app.test_cli_runner().invoke(
        args=["fake", "--users", "30", "--posts", "60", "--follows", "8"]
    )
    assert result.exit_code == 0, result.output
    feeds_before = every_feed_built(shared_app, shared_db)
    url = shared_db.engine.url.render_as_string(hide_password=False)
    shared_db.session.remove()
    cast = pick_cast(url, writers=2)
    assert len(cast.writers) == 2
    assert cast.reader not in cast.writers
    with serve(url) as served:
        before = served.cpu_seconds()
        writers = [writer_for(served.base, name, n, "t1") for n, name in enumerate(cast.writers)]
        for writer in writers:
            for count in range(3):
                writer.post(count)
        # The server's CPU time (arbiter and workers, from /proc) grew with the requests.
        assert served.cpu_seconds() > before
    assert [(w.accepted, w.refused) for w in writers] == [(3, {}), (3, {})]
    assert count_posts(url, "t1") == 6
    assert count_posts(url, "t2") == 0
    assert delete_posts(url) == 6
    assert count_posts(url, "t1") == 0
    # The home feeds are as they were, not missing what the posts pushed out of them.
    assert home_feeds(shared_db.engine) == feeds_before


def test_posting_is_timed_by_row_and_through_the_post_box_for_each_account(shared_db):
    """``bench.feed``'s posting times, on a few followers: each account posts both ways in
    turn, and the post box's posts are indexed and tagged as the form's are."""
    users = [
        User(username=f"poster{n}", email=f"poster{n}@example.com", password_hash="!")
        for n in range(5)
    ]
    shared_db.session.add_all(users)
    shared_db.session.flush()
    for fan in users[2:]:
        fan.follow(users[0])
    users[2].follow(users[1])
    shared_db.session.commit()
    authors, fan = [users[0].id, users[1].id], users[3].id
    url = shared_db.engine.url.render_as_string(hide_password=False)
    shared_db.session.remove()

    times = time_posting(url, authors, followers=(3, 1), posts=2)

    assert set(times) == {(way, count) for way in WAYS for count in (3, 1)}
    for samples in times.values():
        assert len(samples) == 2  # the warm-up round is left out
        assert all(wall >= 0 and cpu >= 0 for wall, cpu in samples)
    boxed = shared_db.session.scalars(
        sa.select(Post.id).where(Post.user_id == authors[0], Post.body.like("the harbour%"))
    ).all()
    assert len(boxed) == 3  # the warm-up's and the two timed
    ids = sa.bindparam("ids", expanding=True)
    counts = {
        "words": "SELECT count(*) FROM post_search WHERE post_id IN :ids",
        "tags": "SELECT count(*) FROM post_tag JOIN tag ON tag.id = post_tag.tag_id "
        "WHERE tag.name = 'fanout' AND post_tag.post_id IN :ids",
        # Into a follower's feed, as any post by an account under the fan-out limit.
        "feed": "SELECT count(*) FROM home_feed WHERE user_id = :fan AND post_id IN :ids",
    }
    found = {
        name: shared_db.session.scalar(
            sa.text(sql).bindparams(ids), {"ids": list(boxed), "fan": fan}
        )
        for name, sql in counts.items()
    }
    assert found == {"words": 3, "tags": 3, "feed": 3}


def test_deleting_the_write_loads_posts_leaves_no_merged_account_newer_than_it_is(
    shared_app, shared_db
):
    result = shared_app.test_cli_runner().invoke(
        args=["fake", "--users", "30", "--posts", "60", "--follows", "8"]
    )
    assert result.exit_code == 0, result.output
    url = shared_db.engine.url.render_as_string(hide_password=False)
    feeds_before = every_feed_built(shared_app, shared_db)
    writer = shared_db.session.scalar(
        sa.select(User).where(User.id.in_(sa.text("SELECT user_id FROM home_feed_author"))).limit(1)
    )
    assert writer is not None  # with --follows 8 of 30, some accounts are merged
    shared_db.session.add(Post(body=f"{MARKER} t1 0", author=writer))
    shared_db.session.commit()
    # As a writer over the fan-out limit would be left: its newest post is the deleted one.
    shared_db.session.execute(
        sa.text('UPDATE home_feed_author SET "timestamp" = :at WHERE user_id = :id'),
        {"id": writer.id, "at": datetime(2999, 1, 1, tzinfo=UTC)},
    )
    shared_db.session.commit()
    shared_db.session.remove()
    assert delete_posts(url) == 1
    assert home_feeds(shared_db.engine) == feeds_before


def every_feed_built(app, database) -> tuple[list, list]:
    """Build every reader's feed (``flask fake`` leaves them to each reader's first home
    visit, which the write load's pages make) and return them: the state that deleting the
    write load's posts, which rebuilds every feed, must give back."""
    database.session.remove()  # its open reads would block the rebuild's DROP TRIGGER
    result = app.test_cli_runner().invoke(args=["feed", "rebuild"])
    assert result.exit_code == 0, result.output
    database.session.remove()
    feeds = home_feeds(database.engine)
    assert feeds[0], "a seeded database whose feeds are built has feed rows"
    return feeds


def home_feeds(engine: sa.Engine) -> tuple[list, list]:
    """Every feed's rows and the merged accounts' newest times."""
    with engine.connect() as connection:
        return (
            connection.execute(
                sa.text("SELECT user_id, post_id FROM home_feed ORDER BY user_id, post_id")
            ).all(),
            connection.execute(
                sa.text('SELECT user_id, "timestamp" FROM home_feed_author ORDER BY user_id')
            ).all(),
        )


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"), reason="PostgreSQL plans")
def test_explain_shows_the_plan_of_each_statement_a_page_runs(app, runner, db):
    args = ["fake", "--users", "40", "--posts", "500", "--follows", "6"]
    assert runner.invoke(args=args).exit_code == 0
    add_logged_in_floor(app)
    add_rare_reader()
    add_big_thread()
    add_notified_accounts()
    home = next(page for page in bench_pages(per_page=3) if page.name.startswith("home, rare"))
    plans = explain_page(app, home)
    assert len(plans) == len(page_statements(app, home.url, home.username)) > 0
    for sql, plan in plans:
        assert sql.lstrip().upper().startswith(("SELECT", "WITH"))
        assert any(line.startswith("Execution Time: ") for line in plan)
        assert any("Buffers: shared hit=" in line for line in plan)


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="copies into the PostgreSQL under test"
)
def test_the_copy_to_postgresql_brings_search_and_notifications(db, tmp_path):
    source = tmp_path / "seeded.db"
    seeded = create_app(
        type("Seeded", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{source}"})
    )
    with seeded.app_context():
        _db.create_all()
        args = ["fake", "--users", "40", "--posts", "500", "--follows", "6"]
        assert seeded.test_cli_runner().invoke(args=args).exit_code == 0
        add_notified_accounts()  # mentions, and notifications some read and some not
        told = Counter(
            _db.session.execute(
                sa.select(Notification.user_id, Notification.kind, Notification.post_id)
            ).all()
        )
        read = _db.session.execute(
            sa.select(User.username, User.notifications_version, User.notifications_read_id)
        ).all()
        _db.engine.dispose()

    copy_from_sqlite(source, TEST_DATABASE_URL)
    # The notification pages read the same on both (the benchmark measures them).
    copied = db.session.execute(
        sa.select(Notification.user_id, Notification.kind, Notification.post_id)
    ).all()
    assert Counter(copied) == told
    assert sorted(
        db.session.execute(
            sa.select(User.username, User.notifications_version, User.notifications_read_id)
        )
    ) == sorted(read)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(mention))
    with db.engine.connect() as connection:
        copied = snapshot(connection)
    assert len(copied["words"]) == 500
    assert copied["tags"]
    for query in sample_queries(copied):
        assert searched(query) == expected(query) != []
    # The same words as the index PostgreSQL itself makes from the posts.
    with db.engine.begin() as connection:
        rebuild_index(connection)
        assert snapshot(connection) == copied
    indexes = {index["name"] for index in sa.inspect(db.engine).get_indexes("post_search")}
    assert {"ix_post_search_terms", "ix_post_search_pairs"} <= indexes
    # The feeds as flask fake leaves them: none built (each is built on its reader's first
    # home visit), the merged accounts listed; home pages are the plain query's either way.
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(home_feed_horizon))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed_author))
    reader = db.session.scalar(
        sa.select(User).join(followers, followers.c.follower_id == User.id).limit(1)
    )
    pages = select_pages(reader.following_posts(), POSTS_NEWEST_FIRST)
    plain = [p.id for p in keyset_page(pages, 10).items]
    assert plain
    assert [p.id for p in keyset_page(home_timeline(reader), 10).items] == plain
    with db.engine.begin() as connection:
        assert build_home_feed(connection, reader.id)
    assert [p.id for p in keyset_page(home_timeline(reader), 10).items] == plain


def test_seedtime_changes_a_constant_for_the_run():
    command = fake_command_line(SIZES["L"], ["POST_CHUNK=1000000", "RECENT=500"])
    assert command[-4:] == ["--users", "10000", "--posts", "1000000"]
    assert "'app.commands.fake'), 'POST_CHUNK', 1000000)" in command[2]
    assert "'app.commands.fake_threads'), 'RECENT', 500)" in command[2]
    with pytest.raises(SystemExit, match=r"no NO_SUCH_THING in app\.commands\.fake or"):
        fake_command_line(SIZES["L"], ["NO_SUCH_THING=1"])


def test_write_load_sides_name_a_database_or_a_url(tmp_path):
    """Without --side the write load serves this checkout on SQLite and PostgreSQL in turns;
    a side names either of them (the size's database there) or a URL of its own."""
    assert [(s.name, s.url) for s in default_sides("both")] == [
        ("SQLite", "sqlite"),
        ("PostgreSQL", "postgresql"),
    ]
    assert [s.url for s in default_sides("postgresql")] == ["postgresql"]
    side = parse_side(f"before={tmp_path}=sqlite:///{tmp_path}/old.db")
    assert (side.name, side.root, side.url) == ("before", tmp_path, f"sqlite:///{tmp_path}/old.db")


def test_the_write_slices_end_with_no_post_under_way():
    """Closing the gate waits for the posts already sent, so none runs into the read-only
    slice after it; while it is closed nobody posts; stopping it ends the writers."""
    gate = Gate()
    events: list[str] = []
    posting = threading.Event()

    def writer() -> None:
        while gate.enter():
            try:
                events.append("start")
                posting.set()
                time.sleep(0.05)
                events.append("end")
            finally:
                gate.leave()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.05)
    assert events == []  # closed at first
    gate.open()
    assert posting.wait(5)
    gate.close()
    closed_after = len(events)
    assert events[-1] == "end"  # the post under way finished before close() returned
    time.sleep(0.1)
    assert len(events) == closed_after  # and none started while closed
    gate.close(stop=True)
    thread.join(5)
    assert not thread.is_alive()


def test_the_write_load_counts_cpu_per_home_page_and_per_post():
    """Slices add up; a post's CPU is what the write slices spent beyond their home pages at
    the read-only cost, and the share if nothing waited is home / (home + post)."""
    slices = [Load(100, 1.0, 0, 10.0, 40.0), Load(300, 2.0, 1, 12.0, 30.0)]
    assert combined(slices) == Load(400, 3.0, 1, 11.0, 40.0)
    r = Round(
        read_only=Load(400, 4.0, 0, 1.0, 2.0),
        under_writes=Load(100, 4.0, 0, 1.0, 2.0),
        seconds=4.0,
        accepted=100,
        refused={},
        stored=100,
        post_p50_ms=1.0,
        post_p99_ms=2.0,
        cpu_read_only=1.2,  # 3 ms a home page
        cpu_under_writes=0.7,  # 100 home pages (0.3 s) and 100 posts
    )
    assert r.home_cpu_ms == pytest.approx(3.0)
    assert r.post_cpu_ms == pytest.approx(4.0)
    assert r.cpu_ratio == pytest.approx(3 / 7)
    assert r.home_ratio == pytest.approx(0.25)


def test_posts_sent_at_once_through_both_workers_are_all_kept(shared_app, shared_db):
    """The write load's clients posting together for a while through two gunicorn workers on
    one database (on SQLite a file: each worker waits for the other's write lock): every post
    is answered with the redirect, none refused, and every accepted one is stored."""
    result = shared_app.test_cli_runner().invoke(
        args=["fake", "--users", "30", "--posts", "60", "--follows", "12"]
    )
    assert result.exit_code == 0, result.output
    url = shared_db.engine.url.render_as_string(hide_password=False)
    shared_db.session.remove()
    cast = pick_cast(url, writers=4)
    gate = Gate()
    with serve(url) as served:
        writers = [writer_for(served.base, name, n, "t3") for n, name in enumerate(cast.writers)]
        threads = [threading.Thread(target=writer.run, args=(gate,)) for writer in writers]
        for thread in threads:
            thread.start()
        gate.open()
        time.sleep(3)
        gate.close(stop=True)
        for thread in threads:
            thread.join(timeout=30)
    accepted = sum(writer.accepted for writer in writers)
    assert accepted >= 8  # the workers did post at once, many times
    assert [writer.refused for writer in writers] == [{}] * 4
    assert count_posts(url, "t3") == accepted
    assert delete_posts(url) == accepted


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="vacuums the PostgreSQL under test"
)
def test_the_tables_the_bench_writes_into_are_vacuumed_as_a_live_site_would_be(runner, db):
    args = ["fake", "--users", "40", "--posts", "500", "--follows", "6"]
    assert runner.invoke(args=args).exit_code == 0
    add_rare_reader()  # new follows, not yet all-visible
    db.session.remove()  # VACUUM waits for no open transaction of ours
    vacuum_after_adding(db.engine)
    with db.engine.connect() as connection:
        vacuumed = connection.execute(
            sa.text(
                "SELECT relname FROM pg_stat_user_tables"
                " WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
            )
        ).scalars()
        assert {"followers", "post", "post_like", "notification", "home_feed"} <= set(vacuumed)


def test_the_bench_readers_are_confirmed_and_see_the_post_box(app, runner, db):
    """The bench measures a real reader's pages: with the address confirmed, home has the post
    box, not "confirm your address first" (the bench's accounts were unconfirmed until
    2026-12-04, and a database made then is confirmed on the next run)."""
    fake = ["fake", "--users", "40", "--posts", "500", "--password", PASSWORD]
    assert runner.invoke(args=fake).exit_code == 0
    add_rare_reader()
    add_big_thread()
    add_notified_accounts()
    names = [RARE_READER, THREAD_READER, NOTIFIED, UNREAD]
    readers = db.session.scalars(sa.select(User).where(User.username.in_(names))).all()
    assert len(readers) == 4
    assert all(reader.email_confirmed_at is not None for reader in readers)

    db.session.execute(sa.update(User).values(email_confirmed_at=None))
    db.session.commit()
    confirm_bench_accounts(names)
    confirmed = db.session.scalars(
        sa.select(User.username).where(User.email_confirmed_at.is_not(None))
    ).all()
    assert sorted(confirmed) == sorted(names)

    page = log_in(FormClient(app.test_client()), THREAD_READER).get("/")
    assert page.status_code == 200
    assert 'name="post"' in page.text
    assert "Confirm your email address" not in page.text


def test_the_bench_puts_back_feeds_that_deleted_posts_left_short(db, make_user, make_post):
    """A run that deletes the posts it made without rebuilding the feeds (a scratch
    measurement) leaves its readers' home read from the posts: the bench's preparation makes
    those feeds again before it measures, and leaves whole ones alone."""
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection, size=4, fanout_limit=10)
    try:
        author, reader, other = make_user("burster"), make_user("reader"), make_user("other")
        reader.follow(author)
        other.follow(reader)
        db.session.commit()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        make_post(reader, "whole", start)
        for minute in range(3):
            make_post(author, "before", start + timedelta(minutes=minute))
        # Enough to trim the reader's feed above everything older.
        later = start + timedelta(hours=1)
        burst = [make_post(author, "burst", later + timedelta(minutes=n)) for n in range(8)]
        db.session.execute(sa.delete(Post).where(Post.id.in_([post.id for post in burst])))
        db.session.commit()
        short = short_feed_readers(db.session.connection(), 25)
        assert reader.id in short
        assert other.id not in short
        db.session.rollback()

        assert set(refill_short_feeds(db.engine)) == set(short)
        assert short_feed_readers(db.session.connection(), 25) == []
        page = keyset_page(home_timeline(reader), 25)
        assert [post.body for post in page.items] == ["before", "before", "before", "whole"]
        assert refill_short_feeds(db.engine) == []
    finally:
        db.session.rollback()
        with db.engine.begin() as connection:
            create_feed_triggers(connection)
