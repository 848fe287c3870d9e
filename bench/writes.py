"""Posting under load: ``.venv/bin/python -m bench.writes`` from the project root.

8 clients post through the real home form (logged in through the login form, each as its own
account, the form's CSRF token sent back) while 8 connections of wrk read the home page of an
account that follows them all, against gunicorn with 2 workers and the benchmark's settings
(bench/wsgi.py: rate limits off). In rounds of a few seconds, each with the readers alone
first, then readers and writers together, it reports posts/s, home requests/s under writes
and read-only, refused posts (any answer but the redirect that follows a post) and lost posts
(accepted, yet not in the database: the rows are counted). The posts it made are deleted at
the end, so the database is as it was.

By default it loads L on SQLite and on PostgreSQL (the benchmark's own cluster, as
``bench.run`` makes it), the two taking turns round by round; ``--database`` picks one.
``--side NAME=CHECKOUT=DATABASE`` (given twice or more) compares versions of the code instead:
the sides take turns too, each serving its own checkout; DATABASE is ``sqlite`` or
``postgresql`` (the size's database there, which sides of one schema can share: each round
counts only its own posts) or a database URL (a copy at another migration).
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import statistics
import sys
import threading
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.dbtime import csrf_token
from bench.load import ROOT, Load, fetch, gunicorn, login, run_wrk
from bench.pg import bench_postgres
from bench.run import add_bench_accounts
from bench.seed import SIZES, Size, prepare, prepare_postgres

MARKER = "write load"
"""Every post the clients make starts with this: they are counted, and deleted, by it."""


@dataclass(frozen=True)
class Side:
    """A version of the code (a checkout) and the database it serves."""

    name: str
    root: Path
    url: str


@dataclass(frozen=True)
class Cast:
    """Who reads and who writes: plain SQL, so it works on the schema of any version."""

    reader: str
    writers: list[str]


def pick_cast(url: str, writers: int) -> Cast:
    """The account following closest to 100 others reads; ``writers`` of them write."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            reader_id, reader = connection.execute(
                sa.text(
                    'SELECT u.id, u.username FROM "user" u '
                    "JOIN followers f ON f.follower_id = u.id "
                    "GROUP BY u.id, u.username ORDER BY abs(count(*) - 100), u.id LIMIT 1"
                )
            ).one()
            names = connection.scalars(
                sa.text(
                    'SELECT u.username FROM followers f JOIN "user" u ON u.id = f.followed_id '
                    "WHERE f.follower_id = :reader AND u.suspended_at IS NULL "
                    "ORDER BY u.id LIMIT :n"
                ),
                {"reader": reader_id, "n": writers},
            ).all()
    finally:
        engine.dispose()
    if len(names) < writers:
        raise RuntimeError(f"{reader} follows only {len(names)} accounts that may post")
    return Cast(reader, list(names))


def count_posts(url: str, tag: str) -> int:
    """How many posts of the run ``tag`` the database holds."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                sa.text("SELECT count(*) FROM post WHERE body LIKE :start"),
                {"start": f"{MARKER} {tag} %"},
            )
    finally:
        engine.dispose()


def delete_posts(url: str) -> int:
    """Delete every post the write load ever made on ``url`` (cascades and triggers tidy the
    rest: the search index, tags, counts); returns how many went."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            return connection.execute(
                sa.text("DELETE FROM post WHERE body LIKE :start"), {"start": f"{MARKER} %"}
            ).rowcount
    finally:
        engine.dispose()


@dataclass
class Writer:
    """One posting client: its session, its form's token, and what the site answered."""

    base: str
    cookie: str
    token: str
    number: int
    tag: str
    accepted: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def post(self, count: int) -> None:
        """Post once through the home form, as a browser would (without following the
        redirect: that is one more home page, which the readers already load)."""
        text = f"{MARKER} {self.tag} {self.number}-{count}: the harbour at dawn #writeload"
        body = urllib.parse.urlencode({"csrf_token": self.token, "post": text})
        host = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request(
                "POST",
                "/",
                body,
                {
                    "Cookie": self.cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": self.base + "/",
                },
            )
            status = connection.getresponse().status
        except OSError:
            status = 0  # no answer at all
        finally:
            connection.close()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status == 302:
            self.accepted += 1
        else:
            self.refused[status] = self.refused.get(status, 0) + 1

    def run(self, stop: threading.Event) -> None:
        """Post one after the other until ``stop``."""
        count = 0
        while not stop.is_set():
            self.post(count)
            count += 1


def writer_for(base: str, username: str, number: int, tag: str) -> Writer:
    """A logged-in client with the home form's CSRF token (valid for its whole session)."""
    cookie = login(base, username)
    status, page = fetch(base + "/", cookie)
    if status != 200:
        raise RuntimeError(f"{username}'s home page answered {status}")
    return Writer(base, cookie, csrf_token(page), number, tag)


@dataclass
class Round:
    """One round of one side: home read-only, then home and posts together."""

    read_only: Load
    under_writes: Load
    seconds: float
    accepted: int
    refused: dict[int, int]
    stored: int
    post_p50_ms: float
    post_p99_ms: float

    @property
    def posts_per_second(self) -> float:
        """Posts accepted per second."""
        return self.accepted / self.seconds

    @property
    def lost(self) -> int:
        """Accepted posts that are not in the database."""
        return self.accepted - self.stored

    @property
    def home_ratio(self) -> float:
        """Home's requests/s under writes over its requests/s read-only."""
        return self.under_writes.per_second / (self.read_only.per_second or 1)


def one_round(side: Side, cast: Cast, seconds: int, readers: int, tag: str) -> Round:
    """Serve ``side`` and measure home read-only, then home while ``cast`` posts."""
    with gunicorn(side.url, root=side.root) as base:
        reader = login(base, cast.reader)
        run_wrk(base + "/", reader, 1, readers)  # warm-up
        read_only = run_wrk(base + "/", reader, seconds, readers)
        writers = [writer_for(base, name, n, tag) for n, name in enumerate(cast.writers)]
        stop = threading.Event()
        threads = [threading.Thread(target=w.run, args=(stop,)) for w in writers]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        try:
            under_writes = run_wrk(base + "/", reader, seconds, readers)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        elapsed = time.perf_counter() - started
    refused: dict[int, int] = {}
    for writer in writers:
        for status, n in writer.refused.items():
            refused[status] = refused.get(status, 0) + n
    latencies = sorted(ms for writer in writers for ms in writer.latencies_ms)
    return Round(
        read_only,
        under_writes,
        elapsed,
        sum(writer.accepted for writer in writers),
        refused,
        count_posts(side.url, tag),
        statistics.median(latencies) if latencies else 0.0,
        latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    )


def measure(sides: list[Side], rounds: int, seconds: int, writers: int, readers: int):
    """Rounds of every side in turn (the order reversed every other round, so neither side
    always runs first); returns each side's rounds."""
    casts = {side.name: pick_cast(side.url, writers) for side in sides}
    for side in sides:
        delete_posts(side.url)  # what an interrupted run left
    results: dict[str, list[Round]] = {side.name: [] for side in sides}
    run = time.strftime("%H%M%S")
    try:
        for number in range(rounds):
            for side in sides if number % 2 == 0 else sides[::-1]:
                print(f"  round {number + 1} of {rounds}: {side.name}", flush=True)
                tag = f"r{run}-{number}-{side.name}"
                results[side.name].append(one_round(side, casts[side.name], seconds, readers, tag))
                show_round(side.name, results[side.name][-1])
    finally:
        for side in sides:
            delete_posts(side.url)
    return results


def show_round(name: str, r: Round) -> None:
    """One line per round, as it ends."""
    print(
        f"    {name}: home {r.read_only.per_second:.0f} req/s read-only, "
        f"{r.under_writes.per_second:.0f} under writes ({r.home_ratio:.0%}); "
        f"{r.posts_per_second:.1f} posts/s (p50 {r.post_p50_ms:.0f} ms, p99 {r.post_p99_ms:.0f}); "
        f"refused {sum(r.refused.values())} {r.refused or ''}, lost {r.lost}; "
        f"home non-2xx {r.read_only.not_ok + r.under_writes.not_ok}",
        flush=True,
    )


def print_summary(results: dict[str, list[Round]]) -> None:
    """Medians per side, and each side's ratio to the first."""
    print("\nMedians over the rounds")
    print(
        f"{'side':12} {'posts/s':>8} {'home r/o':>9} {'home w':>8} {'w / r/o':>8} "
        f"{'refused':>8} {'lost':>6}"
    )
    medians = {}
    for name, rounds in results.items():
        m = {
            "posts": statistics.median(r.posts_per_second for r in rounds),
            "read_only": statistics.median(r.read_only.per_second for r in rounds),
            "under_writes": statistics.median(r.under_writes.per_second for r in rounds),
            "ratio": statistics.median(r.home_ratio for r in rounds),
        }
        medians[name] = m
        refused = sum(sum(r.refused.values()) for r in rounds)
        lost = sum(r.lost for r in rounds)
        print(
            f"{name:12} {m['posts']:8.1f} {m['read_only']:9.0f} {m['under_writes']:8.0f} "
            f"{m['ratio']:8.0%} {refused:8d} {lost:6d}"
        )
    first, *others = medians
    for name in others:
        ratios = ", ".join(
            f"{key} {medians[name][key] / (medians[first][key] or 1):.2f}"
            for key in ("posts", "read_only", "under_writes")
        )
        print(f"{name} / {first}: {ratios}")


DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
"""The databases a side may name instead of a URL: the size's database there."""


def parse_side(text: str) -> Side:
    """``NAME=CHECKOUT=DATABASE`` (``sqlite``, ``postgresql`` or a URL)."""
    name, root, url = text.split("=", 2)
    return Side(name, Path(root).resolve(), url)


def default_sides(database: str) -> list[Side]:
    """This checkout on ``database`` (``sqlite``, ``postgresql`` or ``both``)."""
    names = list(DATABASES) if database == "both" else [database]
    return [Side(DATABASES[name], ROOT, name) for name in names]


def resolve_sides(sides: list[Side], size: Size, stack: ExitStack) -> list[Side]:
    """``sides`` with ``sqlite`` and ``postgresql`` made into the URLs of ``size``'s databases:
    seeded (or migrated) first, and the benchmark's PostgreSQL cluster started on ``stack``
    if a side needs it."""
    wanted = {side.url for side in sides}
    urls = {}
    if wanted & set(DATABASES):
        prepare(size)
        add_bench_accounts(size.url)  # before the copy to PostgreSQL, as bench.run does
        urls["sqlite"] = size.url
    if "postgresql" in wanted:
        server = stack.enter_context(bench_postgres())
        prepare_postgres(size, server)
        urls["postgresql"] = server + size.database
    return [dataclasses.replace(side, url=urls.get(side.url, side.url)) for side in sides]


def main(argv: list[str] | None = None) -> int:
    """Run the write load; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="L", help="dataset (S or L)")
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql", "both"], default="both",
        help="database when no --side is given",
    )  # fmt: skip
    parser.add_argument(
        "--side", action="append", type=parse_side, help="NAME=CHECKOUT=sqlite|postgresql|URL"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="per phase of a round")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=8)
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    if not size.on_sqlite:
        parser.error("the write load runs on S or L (copied from their SQLite files)")
    with ExitStack() as stack:
        sides = resolve_sides(args.side or default_sides(args.database), size, stack)
        run(sides, args)
    return 0


def run(sides: list[Side], args: argparse.Namespace) -> None:
    """Measure ``sides`` and print the summary."""
    print(
        f"{args.writers} posting clients, {args.readers} home readers, gunicorn 2 workers, "
        f"{args.rounds} rounds of {args.seconds} s read-only + {args.seconds} s with writes",
        flush=True,
    )
    print_summary(measure(sides, args.rounds, args.seconds, args.writers, args.readers))


if __name__ == "__main__":
    sys.exit(main())
