"""Posting under load: ``.venv/bin/python -m bench.writes`` from the project root.

8 clients post through the real home form (logged in through the login form, each as its own
account, the form's CSRF token sent back) while 8 connections of wrk read the home page of an
account that follows them all, against gunicorn with 2 workers and the benchmark's settings
(bench/wsgi.py: rate limits off). In rounds of a few seconds, each timing the readers alone
and readers and writers together, it reports posts/s, home requests/s under writes and
read-only, refused posts (any answer but the redirect that follows a post) and lost posts
(accepted, yet not in the database: the rows are counted). The posts it made are deleted at
the end, so the database is as it was.

The two phases of a round are cut into ``--slices`` slices each, taken in turns (read-only,
writes, writes, read-only, ...): on a shared machine the load of everything else changes from
second to second, and two phases measured one after the other met different loads (single
rounds ranged from 21% to 81%). The server's CPU time is read from ``/proc`` around each
slice, which the rest of the machine does not change: CPU ms per home page read-only, per
post (what the write phase spent beyond its home pages at the read-only cost), and the share
home would keep if the workers never waited (home / (home + post)), beside the share served.

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

from app.models.feed import rebuild_home_feeds
from bench.dbtime import csrf_token
from bench.load import ROOT, Load, fetch, login, run_wrk, serve
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
    rest: the search index, tags, counts) and make the home feeds again; returns how many went.

    The feeds are rebuilt because deleting leaves them as no real site's are: the writers'
    posts pushed older entries out of their followers' feeds, and the writers over the
    fan-out limit keep their deleted posts' time as their newest, so every home page that
    follows them probed them again (L, SQLite: the 2,000-follow reader's home 2.4 -> 5.5 ms
    of CPU after one session of write loads)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            deleted = connection.execute(
                sa.text("DELETE FROM post WHERE body LIKE :start"), {"start": f"{MARKER} %"}
            ).rowcount
            if deleted:
                rebuild_home_feeds(connection)
            return deleted
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

    def run(self, gate: Gate) -> None:
        """Post one after the other while ``gate`` is open, until it is stopped."""
        count = 0
        while gate.enter():
            try:
                self.post(count)
            finally:
                gate.leave()
            count += 1


class Gate:
    """When the writers may post: a write slice opens it, and closing it returns once no
    post is under way, so that no post runs into the read-only slice after it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._open = self._stopped = False
        self._posting = 0

    def enter(self) -> bool:
        """Wait until the gate is open (True: post once, then :meth:`leave`) or stopped."""
        with self._changed:
            self._changed.wait_for(lambda: self._open or self._stopped)
            if self._stopped:
                return False
            self._posting += 1
            return True

    def leave(self) -> None:
        """One post is done."""
        with self._changed:
            self._posting -= 1
            self._changed.notify_all()

    def open(self) -> None:
        """Let the writers post."""
        with self._changed:
            self._open = True
            self._changed.notify_all()

    def close(self, stop: bool = False) -> None:
        """Stop the writers posting (for good with ``stop``); returns when none is."""
        with self._changed:
            self._open = False
            self._stopped = self._stopped or stop
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._posting == 0, timeout=60)


def writer_for(base: str, username: str, number: int, tag: str) -> Writer:
    """A logged-in client with the home form's CSRF token (valid for its whole session)."""
    cookie = login(base, username)
    status, page = fetch(base + "/", cookie)
    if status != 200:
        raise RuntimeError(f"{username}'s home page answered {status}")
    return Writer(base, cookie, csrf_token(page), number, tag)


def combined(loads: list[Load]) -> Load:
    """Slices of one phase as one load: their requests over their seconds; p50 the median
    of theirs, p99 the highest."""
    return Load(
        sum(load.requests for load in loads),
        sum(load.seconds for load in loads),
        sum(load.not_ok for load in loads),
        statistics.median(load.p50_ms for load in loads),
        max(load.p99_ms for load in loads),
    )


@dataclass
class Round:
    """One round of one side: home read-only, and home and posts together."""

    read_only: Load
    under_writes: Load
    seconds: float
    accepted: int
    refused: dict[int, int]
    stored: int
    post_p50_ms: float
    post_p99_ms: float
    cpu_read_only: float = 0.0  # the server's CPU seconds in the read-only slices
    cpu_under_writes: float = 0.0  # and in the write slices

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

    @property
    def home_cpu_ms(self) -> float:
        """The server's CPU per home page, read-only (gunicorn's own share included)."""
        return 1000 * self.cpu_read_only / (self.read_only.requests or 1)

    @property
    def post_cpu_ms(self) -> float:
        """The server's CPU per post: what the write slices spent beyond their home pages,
        these counted at the read-only cost."""
        homes = self.under_writes.requests * self.home_cpu_ms / 1000
        return 1000 * (self.cpu_under_writes - homes) / (self.accepted or 1)

    @property
    def cpu_ratio(self) -> float:
        """The share home would keep if the workers never waited: home / (home + post)."""
        return self.home_cpu_ms / ((self.home_cpu_ms + self.post_cpu_ms) or 1)


def one_round(side: Side, cast: Cast, seconds: int, readers: int, tag: str, slices: int) -> Round:
    """Serve ``side`` and measure home read-only and home while ``cast`` posts, in
    ``slices`` slices of each taken in turns (read-only first in odd pairs, last in even)."""
    length = max(1, round(seconds / slices))
    read_only: list[Load] = []
    under_writes: list[Load] = []
    cpu = {"read_only": 0.0, "writes": 0.0}
    posting = 0.0
    gate = Gate()
    with serve(side.url, root=side.root) as served:
        reader = login(served.base, cast.reader)
        run_wrk(served.base + "/", reader, 1, readers)  # warm-up
        writers = [writer_for(served.base, name, n, tag) for n, name in enumerate(cast.writers)]
        threads = [threading.Thread(target=w.run, args=(gate,)) for w in writers]
        for thread in threads:
            thread.start()
        try:
            for number in range(slices):
                for writing in (False, True) if number % 2 == 0 else (True, False):
                    before, started = served.cpu_seconds(), time.perf_counter()
                    if writing:
                        gate.open()
                    load = run_wrk(served.base + "/", reader, length, readers)
                    if writing:
                        gate.close()
                        posting += time.perf_counter() - started
                    cpu["writes" if writing else "read_only"] += served.cpu_seconds() - before
                    (under_writes if writing else read_only).append(load)
        finally:
            gate.close(stop=True)
            for thread in threads:
                thread.join(timeout=60)
    refused: dict[int, int] = {}
    for writer in writers:
        for status, n in writer.refused.items():
            refused[status] = refused.get(status, 0) + n
    latencies = sorted(ms for writer in writers for ms in writer.latencies_ms)
    return Round(
        combined(read_only),
        combined(under_writes),
        posting,
        sum(writer.accepted for writer in writers),
        refused,
        count_posts(side.url, tag),
        statistics.median(latencies) if latencies else 0.0,
        latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
        cpu["read_only"],
        cpu["writes"],
    )


def measure(
    sides: list[Side], rounds: int, seconds: int, writers: int, readers: int, slices: int = 4
):
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
                result = one_round(side, casts[side.name], seconds, readers, tag, slices)
                results[side.name].append(result)
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
        f"home non-2xx {r.read_only.not_ok + r.under_writes.not_ok}; CPU ms home "
        f"{r.home_cpu_ms:.2f}, post {r.post_cpu_ms:.2f} ({r.cpu_ratio:.0%} if nothing waited)",
        flush=True,
    )


def print_summary(results: dict[str, list[Round]]) -> None:
    """Medians per side, and each side's ratio to the first."""
    print("\nMedians over the rounds")
    print(
        f"{'side':12} {'posts/s':>8} {'home r/o':>9} {'home w':>8} {'w / r/o':>8} "
        f"{'refused':>8} {'lost':>6} {'CPU home':>9} {'CPU post':>9} {'CPU share':>10}"
    )
    medians = {}
    for name, rounds in results.items():
        m = {
            "posts": statistics.median(r.posts_per_second for r in rounds),
            "read_only": statistics.median(r.read_only.per_second for r in rounds),
            "under_writes": statistics.median(r.under_writes.per_second for r in rounds),
            "ratio": statistics.median(r.home_ratio for r in rounds),
            "home_cpu": statistics.median(r.home_cpu_ms for r in rounds),
            "post_cpu": statistics.median(r.post_cpu_ms for r in rounds),
            "cpu_ratio": statistics.median(r.cpu_ratio for r in rounds),
        }
        medians[name] = m
        refused = sum(sum(r.refused.values()) for r in rounds)
        lost = sum(r.lost for r in rounds)
        print(
            f"{name:12} {m['posts']:8.1f} {m['read_only']:9.0f} {m['under_writes']:8.0f} "
            f"{m['ratio']:8.0%} {refused:8d} {lost:6d} {m['home_cpu']:9.2f} {m['post_cpu']:9.2f} "
            f"{m['cpu_ratio']:10.0%}"
        )
    first, *others = medians
    for name in others:
        ratios = ", ".join(
            f"{key} {medians[name][key] / (medians[first][key] or 1):.2f}"
            for key in ("posts", "read_only", "under_writes", "home_cpu", "post_cpu")
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
    parser.add_argument("--seconds", type=int, default=12, help="per phase of a round")
    parser.add_argument(
        "--slices", type=int, default=4, help="slices per phase, taken in turns with the other's"
    )
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=8)
    args = parser.parse_args(argv)
    if args.slices < 1 or args.seconds < args.slices:
        parser.error("--slices must be from 1 to --seconds (a slice lasts 1 s or more)")
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
        f"{args.rounds} rounds of {args.seconds} s read-only + {args.seconds} s with writes, "
        f"in {args.slices} slices each taken in turns",
        flush=True,
    )
    print_summary(
        measure(sides, args.rounds, args.seconds, args.writers, args.readers, args.slices)
    )


if __name__ == "__main__":
    sys.exit(main())
