"""Home feeds on the database alone: what posting costs by follower count, and what home pages
cost with the feeds and without them (today's path from the posts), in alternating rounds.

    python -m bench.feed                      # S and L, SQLite and PostgreSQL
    python -m bench.feed --sizes S --no-postgres
    python -m bench.feed --no-pages           # posting only (a few minutes)

Posting is timed two ways, alternating: the post's row alone (``INSERT`` and commit: the
triggers' work, stored counts and home feeds) and the post box's write
(:func:`app.models.posting.publish`: the post, its search words and tags, then the commit),
each account in turn.

Posting is measured on a database of its own (an account with 50,000 followers, one with
exactly the fanout limit's number (250 by default), whose posts go into every follower's
feed, and one with 100);
pages on the benchmark's S and L (``python -m bench.run`` seeds them; PostgreSQL gets a copy
without the search index, which these pages do not use).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import followers
from app.models.feed import rebuild_home_feeds
from app.models.posting import publish
from app.models.user import User
from bench.dbtime import page_statements, time_statements
from bench.pg import bench_postgres, copy_from_sqlite, create_database
from bench.run import app_for
from bench.seed import DATA, SIZES, flask, prepare
from bench.subjects import add_rare_reader, home_pages
from config import Config

FOLLOWERS = (50_000, Config.HOME_FEED_FANOUT_LIMIT, 100)
"""Followers of the posting accounts: the issue's, the fanout limit's (set
``HOME_FEED_FANOUT_LIMIT`` to try another), a common account's."""
POSTS_PER_AUTHOR = 30
WAYS = ("row", "post box")
"""How a post is written: its row alone, and through the post box's ``publish``."""


def make_followed_accounts(url: str) -> list[int]:
    """A migrated, empty database at ``url`` gets one account per entry of :data:`FOLLOWERS`
    and as many followers as the largest; returns the followed accounts' ids."""
    flask(url, "db", "upgrade", timeout=300)
    app = app_for(url)
    with app.app_context(), db.engine.begin() as connection:
        now = datetime.now(UTC)
        users = [
            {
                "username": f"fan{n}",
                "username_key": f"fan{n}",
                "email": f"fan{n}@example.com",
                "password_hash": "!",
                "created_at": now,
                "updated_at": now,
                "last_seen": now,
            }
            for n in range(max(FOLLOWERS) + len(FOLLOWERS))
        ]
        table = db.metadata.tables["user"]
        connection.execute(table.insert(), users)
        ids = connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
        authors, fans = ids[: len(FOLLOWERS)], ids[len(FOLLOWERS) :]
        connection.execute(
            followers.insert(),
            [
                {"follower_id": fan, "followed_id": author, "created_at": now}
                for author, count in zip(authors, FOLLOWERS, strict=True)
                for fan in fans[:count]
            ],
        )
        rebuild_home_feeds(connection)  # with the configured settings
        db.engine.dispose()
    return authors


def elapsed_ms(started: float, cpu: float) -> tuple[float, float]:
    """Wall and this thread's CPU milliseconds since ``started`` and ``cpu``."""
    return (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000


def time_posting(
    url: str,
    authors: list[int],
    followers: tuple[int, ...] = FOLLOWERS,
    posts: int = POSTS_PER_AUTHOR,
) -> dict[tuple[str, int], list[tuple[float, float]]]:
    """Wall and CPU milliseconds per post (insert and commit; then :func:`publish` and
    commit), by each account (``authors``, with ``followers`` each) and each way, ``posts``
    of each, alternating; a round of posts before them is a warm-up. The CPU is the app's
    thread's: SQLite's work, not PostgreSQL's (its server's).

    First the accounts fanned out to fill their followers' feeds, so that posts are trimmed
    from them as in a site that has run for a while.
    """
    app = app_for(url)
    post = db.metadata.tables["post"]
    times: dict[tuple[str, int], list[tuple[float, float]]] = {
        (way, count): [] for way in WAYS for count in followers
    }
    with app.app_context():
        engine = db.engine
        start = datetime.now(UTC) - timedelta(days=1)
        with engine.connect() as connection:
            filling = time.perf_counter()
            old = start - timedelta(days=1)
            for author in authors:
                connection.execute(
                    post.insert(),
                    [
                        {"body": "old", "user_id": author, "timestamp": old + timedelta(seconds=n)}
                        for n in range(Config.HOME_FEED_SIZE + 50)
                    ],
                )
                connection.commit()
            print(
                f"  {len(authors) * (Config.HOME_FEED_SIZE + 50)} posts to fill the feeds: "
                f"{time.perf_counter() - filling:.1f} s",
                flush=True,
            )
            users = {author: db.session.get(User, author) for author in authors}
            db.session.commit()
            for number in range(posts + 1):
                for author, count in zip(authors, followers, strict=True):
                    values = {
                        "body": f"post {number}",
                        "user_id": author,
                        "timestamp": start + timedelta(seconds=number),
                    }
                    started, cpu = time.perf_counter(), time.thread_time()
                    connection.execute(post.insert().values(**values))
                    connection.commit()
                    row = elapsed_ms(started, cpu)
                    started, cpu = time.perf_counter(), time.thread_time()
                    publish(users[author], f"the harbour at dawn {number} #fanout")
                    db.session.commit()
                    box = elapsed_ms(started, cpu)
                    if number:
                        times["row", count].append(row)
                        times["post box", count].append(box)
            db.session.remove()
        engine.dispose()
    return times


def posting(server: str | None) -> None:
    """Posting times on SQLite and (given its server) PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="chirp-fanout.") as scratch:
        urls = {"SQLite": f"sqlite:///{Path(scratch) / 'fanout.db'}"}
        if server:
            create_database(server, "chirp_fanout")
            urls["PostgreSQL"] = server + "chirp_fanout"
        for name, url in urls.items():
            print(f"== posting, {name}", flush=True)
            authors = make_followed_accounts(url)
            for (way, count), samples in time_posting(url, authors).items():
                wall = sorted(ms for ms, _ in samples)
                cpu = statistics.median(ms for _, ms in samples)
                print(
                    f"  {way:8} {count:6,} followers: median {statistics.median(wall):6.2f} ms, "
                    f"90th percentile {wall[int(len(wall) * 0.9)]:6.2f} ms, "
                    f"CPU median {cpu:6.2f} ms ({len(wall)} posts)",
                    flush=True,
                )


def set_feeds(url: str, on: bool) -> None:
    """Switch every reader's feed off (no horizon: pages read the posts) or back on."""
    app = app_for(url)
    with app.app_context(), db.engine.begin() as connection:
        if not sa.inspect(connection).has_table("bench_horizon"):
            connection.exec_driver_sql(
                "CREATE TABLE bench_horizon AS SELECT * FROM home_feed_horizon"
            )
        connection.exec_driver_sql("DELETE FROM home_feed_horizon")
        if on:
            connection.exec_driver_sql("INSERT INTO home_feed_horizon SELECT * FROM bench_horizon")
        db.engine.dispose()


def pages(url: str, rounds: int, runs: int) -> None:
    """Home pages' DB time with the feeds on and off, in alternating rounds (medians)."""
    app = app_for(url)
    with app.app_context():
        add_rare_reader()
        listed = home_pages(app.config["POSTS_PER_PAGE"])
        db.engine.dispose()
    set_feeds(url, on=True)
    captured = {page.name: page_statements(app, page.url, page.username) for page in listed}
    figures: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for on in (False, True):
            set_feeds(url, on)
            for name, statements in captured.items():
                timing = time_statements(app, statements, runs)
                figures.setdefault((name, on), []).append(timing.median_ms)
    set_feeds(url, on=True)
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE bench_horizon")
        db.engine.dispose()
    for name in captured:
        off, on = (statistics.median(figures[name, state]) for state in (False, True))
        print(f"  {name:40} from the posts {off:7.2f} ms   from the feed {on:7.2f} ms", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run it; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,L", help="datasets for the pages (default S,L)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per page")
    parser.add_argument("--runs", type=int, default=15, help="replays per statement and round")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-posting", action="store_true", help="pages only")
    parser.add_argument("--no-pages", action="store_true", help="posting only")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        server = None if args.no_postgres else stack.enter_context(bench_postgres())
        if not args.no_posting:
            posting(server)
        sizes = [] if args.no_pages else args.sizes.split(",")
        for size in (SIZES[name] for name in sizes):
            prepare(size)
            print(f"== {size.name} SQLite", flush=True)
            pages(size.url, args.rounds, args.runs)
            if server:
                url = server + f"{size.database}_feed"
                if not (DATA / f"{size.name}-feed-postgresql").exists():
                    create_database(server, f"{size.database}_feed")
                    flask(url, "db", "upgrade", timeout=300)
                    copy_from_sqlite(size.path, url)
                    (DATA / f"{size.name}-feed-postgresql").touch()
                print(f"== {size.name} PostgreSQL", flush=True)
                pages(url, args.rounds, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
