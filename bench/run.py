"""Benchmark Chirp: ``.venv/bin/python -m bench.run`` from the project root (see README.md).

For each dataset (S: 1,000 users / 50,000 posts; L: 10,000 / 1,000,000; XL, on request and on
PostgreSQL only: 100,000 / 10,000,000) and database (SQLite files in bench/data/, and the
benchmark's own PostgreSQL cluster in bench/data/postgres/ holding copies of S and L), it
serves the app with gunicorn (2 workers, 127.0.0.1), logs in through the real form, loads each
page with wrk and reports requests/s, p50/p99 latency, non-2xx responses and the ratio to the
logged-in floor (a tiny page that loads the session user, /bench/floor) and to the anonymous
one (/healthz: the framework alone). Then DB-only timings: the statements each page really
runs, replayed on each database without the app. Everything is bounded in time and stays on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict

import sqlalchemy as sa
from flask import Flask

from app.commands.fake_likes import add_likes
from app.extensions import db
from app.models.feed import refill_home_feeds
from bench.accounts import confirm_bench_accounts
from bench.dbtime import Timing, page_statements, time_statements
from bench.load import Load, fetch, gunicorn, login, run_wrk
from bench.notifications import NOTIFIED, UNREAD, add_notified_accounts
from bench.pg import bench_postgres
from bench.seed import DATA, SIZES, prepare, prepare_postgres
from bench.subjects import RARE_READER, BenchPage, add_rare_reader, bench_pages
from bench.threads import THREAD_READER, add_big_thread
from bench.wsgi import BenchConfig, bench_app

LIKES_SEED, LIKES_PER_USER = 7, 30  # flask fake's default


def app_for(url: str) -> Flask:
    """The app (benchmark settings) on the database ``url``."""
    return bench_app(type("Config", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def measure_http(plans: dict[str, tuple[str, list[BenchPage]]], seconds: int, connections: int):
    """wrk figures per database (its name in ``plans``, to its URL and pages), then per page.

    The machine may be shared, so every database is served at once and the pages of all take
    turns in rounds of a few seconds: a burst of outside load then hits them all alike, and the
    L/S ratios compare like with like. Requests/s is over all rounds; p50 and p99 are the
    median of the rounds' values.
    """
    rounds = max(1, seconds // 3)
    runs = {name: {page.name: [] for page in pages} for name, (_, pages) in plans.items()}
    targets = []  # (database, page, url, cookie) in the order they take turns
    with ExitStack() as servers:
        for database, (database_url, pages) in plans.items():
            base = servers.enter_context(gunicorn(database_url))
            cookies = {name: login(base, name) for name in {p.username for p in pages}}
            for page in pages:
                url, cookie = base + page.url, cookies[page.username]
                status, body = fetch(url, cookie)
                if status != 200 or page.marker not in body:
                    raise RuntimeError(f"{database} {page.name}: {url} answered {status}")
                run_wrk(url, cookie, 1, connections)  # warm-up
                targets.append((database, page, url, cookie))
        targets.sort(key=lambda target: plans[target[0]][1].index(target[1]))
        for number in range(rounds):
            print(f"  round {number + 1} of {rounds}", flush=True)
            for database, page, url, cookie in targets:
                load = run_wrk(url, cookie, seconds // rounds, connections)
                runs[database][page.name].append(load)
    return {
        database: {name: _combine(loads) for name, loads in pages.items()}
        for database, pages in runs.items()
    }


def _combine(loads: list[Load]) -> Load:
    return Load(
        sum(load.requests for load in loads),
        sum(load.seconds for load in loads),
        sum(load.not_ok for load in loads),
        statistics.median(load.p50_ms for load in loads),
        statistics.median(load.p99_ms for load in loads),
    )


def measure_db(app: Flask, pages: list[BenchPage], runs: int) -> dict[str, Timing]:
    """DB-only timing of each page's statements on ``app``'s database."""
    return {
        page.name: time_statements(app, page_statements(app, page.url, page.username), runs)
        for page in pages
    }


FLOORS = ("floor: /healthz", "floor, logged in")
"""The two floors' page names: anonymous, then logged in."""


def print_report(report: dict) -> None:
    """The tables: HTTP per database with ratios, then DB-only per page."""
    http = report["http"]
    for database, rows in http.items():
        floor, floor_in = (rows[name]["per_second"] or 1 for name in FLOORS)
        print(f"\nHTTP, {database} (gunicorn 2 workers, wrk -c{report['connections']}, "
              f"{report['seconds']} s per page)")  # fmt: skip
        print(
            f"{'page':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
            f" {'/floor logged in':>17} {'/healthz':>9}"
        )
        for name, load in rows.items():
            print(
                f"{name:34} {load['per_second']:8.0f} {load['p50_ms']:8.2f} "
                f"{load['p99_ms']:8.2f} {load['not_ok']:8d} {load['per_second'] / floor_in:17.0%}"
                f" {load['per_second'] / floor:9.0%}"
            )
    for database in http:
        small = _smallest(database, http)
        if small:
            print(f"\n{database} / {small} latency ratio (p50, p99)")
            for name, s, big in paired(report, "http", small, database):
                if s is None:
                    print(f"{name:34}  (not measured at {small.split()[0]})")
                    continue
                p50, p99 = big["p50_ms"] / s["p50_ms"], big["p99_ms"] / s["p99_ms"]
                print(f"{name:34} {p50:5.2f} {p99:5.2f}")
    print("\nDB only: per page, sum of its statements' median times (ms), statements run")
    columns = list(report["db"])
    print(f"{'page':34}" + "".join(f"{c:>16}" for c in columns))
    # One row per page of the last column (the largest size), its figures at every size.
    rows = {}
    for column in columns:
        for name, small, _ in paired(report, "db", column, columns[-1]):
            rows.setdefault(name, {})[column] = small
    for name, timings in rows.items():
        cells = [
            f"{t['median_ms']:9.2f} ({t['statements']})" if t else "-"
            for t in (timings[column] for column in columns)
        ]
        print(f"{name:34}" + "".join(f"{c:>16}" for c in cells))
    print_targets(report)
    print("\nMaking the databases (flask fake, or the copy to PostgreSQL): "
          + ", ".join(f"{k} {v:.0f} s" for k, v in report["seed_seconds"].items()))  # fmt: skip


def _smallest(database: str, table: dict) -> str | None:
    """The S database of the same engine as ``database`` (None for S itself, or if absent)."""
    size, engine = database.split(" ", 1)
    small = f"S {engine}"
    return small if size != "S" and small in table else None


def paired(report: dict, table: str, small: str, big: str) -> list[tuple[str, dict | None, dict]]:
    """Each page of ``big`` in ``report[table]`` (``"http"`` or ``"db"``) with the same page of
    ``small``, or None where ``small`` lacks it: (``big``'s page name, small's row, big's row).

    Pages are matched by their key (``BenchPage.key``: the name without the figures that
    differ between sizes, such as the heaviest follower's follow count), not by position: a
    page left out at one size (a search the sample gave no words for) would shift every
    ratio after it. Reports saved before keys were recorded match by name.
    """
    keys = report.get("keys", {})

    def by_key(database: str) -> dict[str, tuple[str, dict]]:
        names = keys.get(database, {})
        return {names.get(name, name): (name, row) for name, row in report[table][database].items()}

    smaller = {key: row for key, (_, row) in by_key(small).items()}
    return [(name, smaller.get(key), row) for key, (name, row) in by_key(big).items()]


# The targets: DB time under 5 ms, throughput at least half the logged-in floor's, no
# non-2xx responses; latency at most 1.5 times S's (same database) at L and XL.
DB_MS, FLOOR_SHARE, SIZE_RATIO = 5.0, 0.50, 1.5


def target_rows(report: dict) -> list[tuple[str, list[tuple[str, float, bool]]]]:
    """Each page (but the floors) of each database but S's, with (target, figure, met) per
    target; the row is named "<database>: <page>"."""
    http, db = report["http"], report["db"]
    rows = []
    for database, pages in http.items():
        if database.startswith("S "):
            continue
        small = _smallest(database, http)
        before = (
            {name: row for name, row, _ in paired(report, "http", small, database)} if small else {}
        )
        floor = pages[FLOORS[1]]["per_second"] or 1
        for name, load in pages.items():
            if name in FLOORS:
                continue
            checks = []
            if timing := db.get(database, {}).get(name):
                ms = timing["median_ms"]
                checks.append(("DB ms", ms, ms < DB_MS))
            share = load["per_second"] / floor
            checks.append(("/floor logged in", share, share >= FLOOR_SHARE))
            checks.append(("non-2xx", load["not_ok"], load["not_ok"] == 0))
            if s := before.get(name):
                for key in ("p50_ms", "p99_ms"):
                    ratio = load[key] / s[key] if s[key] else 0.0
                    checks.append((f"/S {key[:3]}", ratio, ratio <= SIZE_RATIO))
            rows.append((f"{database}: {name}", checks))
    return rows


def print_targets(report: dict) -> None:
    """Which of the issue's targets each page meets (the figure, then ok or MISSED)."""
    rows = target_rows(report)
    if not rows:
        return
    print(
        "\nTargets: DB < 5 ms, >= 50% of the logged-in floor's req/s, no non-2xx, "
        "latency <= 1.5 x S's"
    )
    for name, checks in rows:
        cells = []
        for label, figure, met in checks:
            shown = (
                f"{figure:.0%}"
                if label.startswith("/floor")
                else f"{figure:g}"
                if label == "non-2xx"
                else f"{figure:.2f}"
            )
            cells.append(f"{label} {shown} {'ok' if met else 'MISSED'}")
        print(f"{name:48} " + "; ".join(cells))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="S,L", help="datasets to run (default S,L; XL: PostgreSQL only)"
    )
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--runs", type=int, default=30, help="replays per statement, DB-only")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-sqlite",
        action="store_true",
        help="PostgreSQL only (S and L are still seeded in SQLite, to be copied)",
    )
    parser.add_argument("--no-http", action="store_true", help="DB-only timings only")
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached databases")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    sizes = [SIZES[name] for name in args.sizes.split(",")]
    if args.no_postgres and not all(size.on_sqlite for size in sizes):
        print("XL is for PostgreSQL only", file=sys.stderr)
        return 2
    if args.no_postgres and args.no_sqlite:
        print("--no-postgres and --no-sqlite leave nothing to measure", file=sys.stderr)
        return 2
    report: dict = {"seconds": args.seconds, "connections": args.connections}
    report.update(http={}, db={}, keys={}, seed_seconds={})
    plans: dict[str, tuple[str, list[BenchPage]]] = {}
    with ExitStack() as stack:
        server = None if args.no_postgres else stack.enter_context(bench_postgres())
        for size in sizes:
            print(f"== {size.name}: {size.users} users, {size.posts} posts", flush=True)
            urls = {}
            if size.on_sqlite:
                report["seed_seconds"][f"{size.name} SQLite"] = prepare(size, reseed=args.reseed)
                if not args.no_sqlite:
                    urls[f"{size.name} SQLite"] = size.url
                add_bench_accounts(size.url)  # before the copy to PostgreSQL
            if server:
                seconds = prepare_postgres(size, server, reseed=args.reseed)
                report["seed_seconds"][f"{size.name} PostgreSQL"] = seconds
                urls[f"{size.name} PostgreSQL"] = server + size.database
            for database, url in urls.items():
                print(f"== DB-only timings, {database}", flush=True)
                app = add_bench_accounts(url)
                with app.app_context():
                    pages = bench_pages(app.config["POSTS_PER_PAGE"])
                plans[database] = (url, pages)
                report["keys"][database] = {page.name: page.key for page in pages}
                report["db"][database] = {
                    name: asdict(t) for name, t in measure_db(app, pages, args.runs).items()
                }
                with app.app_context():
                    db.engine.dispose()  # let the server stop at the end
        if not args.no_http:
            print("== HTTP", flush=True)
            for name, loads in measure_http(plans, args.seconds, args.connections).items():
                report["http"][name] = {
                    page: {**asdict(load), "per_second": load.per_second}
                    for page, load in loads.items()
                }
    print_report(report)
    out = DATA / f"report-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nSaved {out.relative_to(DATA.parent.parent)}")
    return 0


def add_bench_accounts(url: str) -> Flask:
    """The app on ``url``, once its database has the rare posters' reader, the big thread and
    likes (a database seeded before likes existed gets them here) and the notified accounts."""
    app = app_for(url)
    with app.app_context():
        add_rare_reader()
        add_big_thread()
        add_likes(db.engine, random.Random(LIKES_SEED), LIKES_PER_USER)  # noqa: S311
        add_notified_accounts()
        confirm_bench_accounts([RARE_READER, THREAD_READER, NOTIFIED, UNREAD])
        refill_short_feeds(db.engine)
        vacuum_after_adding(db.engine)
        db.engine.dispose()
    return app


def refill_short_feeds(engine: sa.Engine) -> list[int]:
    """Make again the home feeds that deleted posts left with less than a page, as ``flask
    feed refill`` does; returns whose.

    A run that deletes the posts it made without rebuilding the feeds after (``bench.writes``
    rebuilds them; a scratch measurement may not) leaves its readers' pages read from the
    posts: on 2026-12-06 three bench readers' home pages at L (the 2,000-follow, rare and
    thread readers) cost two to three times as much, and that run's L figures were unusable.
    Quick when every feed is whole: one short range per feed."""
    with engine.begin() as connection:
        readers = refill_home_feeds(connection)
    if readers:
        print(f"   refilled {len(readers)} home feeds left short by deleted posts", flush=True)
    return readers


def vacuum_after_adding(engine: sa.Engine) -> None:
    """On PostgreSQL, vacuum the tables the bench's accounts were just written into, as
    autovacuum does in time on a live site: their new rows are not yet marked all-visible, so
    index-only reads of them (a reader's follows above all) would visit the table, which a
    steady-state site does not (XL: 939 buffers per read of the 2,000 follows). Quick when
    nothing was added: VACUUM skips pages already all-visible."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("followers", "post", "post_like", "notification", "home_feed"):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


if __name__ == "__main__":
    sys.exit(main())
