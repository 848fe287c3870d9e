"""Benchmark Chirp: ``.venv/bin/python -m bench.run`` from the project root (see README.md).

For each dataset (S: 1,000 users / 50,000 posts; L: 10,000 / 1,000,000; cached in bench/data/),
it serves the app with gunicorn (2 workers, 127.0.0.1), logs in through the real form, loads
each page with wrk and reports requests/s, p50/p99 latency, non-2xx responses and the ratio to
the floor page (/healthz: the framework alone). Then DB-only timings: the statements each page
really runs, replayed on SQLite (S and L) and on a throwaway PostgreSQL holding a copy of L.
Everything is bounded in time and stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict

from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from bench.dbtime import Timing, page_statements, time_statements
from bench.load import Load, fetch, gunicorn, login, run_wrk
from bench.pg import copy_from_sqlite, throwaway_postgres
from bench.seed import DATA, SIZES, Size, prepare
from bench.subjects import BenchPage, add_rare_reader, bench_pages
from bench.threads import add_big_thread
from bench.wsgi import BenchConfig


def app_for(url: str) -> Flask:
    """The app (benchmark settings) on the database ``url``."""
    return create_app(type("Config", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def measure_http(plans: dict[Size, list[BenchPage]], seconds: int, connections: int) -> dict:
    """wrk figures per size, then per page name.

    The machine may be shared, so every size is served at once and the pages of all sizes take
    turns in rounds of a few seconds: a burst of outside load then hits them all alike, and the
    L/S ratios compare like with like. Requests/s is over all rounds; p50 and p99 are the
    median of the rounds' values.
    """
    rounds = max(1, seconds // 3)
    runs = {size: {page.name: [] for page in pages} for size, pages in plans.items()}
    targets = []  # (size, page, url, cookie) in the order they take turns
    with ExitStack() as servers:
        for size, pages in plans.items():
            base = servers.enter_context(gunicorn(size.url))
            cookies = {name: login(base, name) for name in {p.username for p in pages}}
            for page in pages:
                url, cookie = base + page.url, cookies[page.username]
                status, body = fetch(url, cookie)
                if status != 200 or page.marker not in body:
                    raise RuntimeError(f"{size.name} {page.name}: {url} answered {status}")
                run_wrk(url, cookie, 1, connections)  # warm-up
                targets.append((size, page, url, cookie))
        targets.sort(key=lambda target: plans[target[0]].index(target[1]))
        for number in range(rounds):
            print(f"  round {number + 1} of {rounds}", flush=True)
            for size, page, url, cookie in targets:
                runs[size][page.name].append(run_wrk(url, cookie, seconds // rounds, connections))
    return {
        size.name: {name: _combine(loads) for name, loads in pages.items()}
        for size, pages in runs.items()
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


def print_report(report: dict) -> None:
    """The tables: HTTP per dataset with ratios, then DB-only per page."""
    http, sizes = report["http"], list(report["http"])
    for size in sizes:
        rows = http[size]
        floors = [load["per_second"] or 1 for load in list(rows.values())[:2]]
        print(f"\nHTTP at {size} (gunicorn 2 workers, wrk -c{report['connections']}, "
              f"{report['seconds']} s per page)")  # fmt: skip
        print(
            f"{'page':30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
            f" {'/floor':>7} {'/floor logged in':>17}"
        )
        for name, load in rows.items():
            print(
                f"{name:30} {load['per_second']:8.0f} {load['p50_ms']:8.2f} "
                f"{load['p99_ms']:8.2f} {load['not_ok']:8d} {load['per_second'] / floors[0]:7.0%}"
                f" {load['per_second'] / floors[1]:17.0%}"
            )
    if {"S", "L"} <= set(sizes):
        print("\nL/S latency ratio (p50, p99)")
        for name_s, name_l in zip(http["S"], http["L"], strict=True):
            s, big = http["S"][name_s], http["L"][name_l]
            print(
                f"{name_l:30} {big['p50_ms'] / s['p50_ms']:5.2f} {big['p99_ms'] / s['p99_ms']:5.2f}"
            )
    print("\nDB only: per page, sum of its statements' median times (ms), statements run")
    columns = list(report["db"])
    print(f"{'page':30}" + "".join(f"{c:>16}" for c in columns))
    names = list(report["db"][columns[-1]])
    for index, name in enumerate(names):
        cells = []
        for column in columns:
            timing = list(report["db"][column].values())[index]
            cells.append(f"{timing['median_ms']:9.2f} ({timing['statements']})")
        print(f"{name:30}" + "".join(f"{c:>16}" for c in cells))
    print_targets(report)
    print("\nSeeding time (flask fake, SQLite): "
          + ", ".join(f"{k} {v:.0f} s" for k, v in report["seed_seconds"].items()))  # fmt: skip


# The targets: at L, DB time under 5 ms (SQLite and PostgreSQL), throughput at least
# 40% of the floor's, no non-2xx responses; L/S latency ratio at most 1.5.
DB_MS, FLOOR_SHARE, LS_RATIO = 5.0, 0.40, 1.5


def target_rows(report: dict) -> list[tuple[str, list[tuple[str, float, bool]]]]:
    """Each page (but the floors) of the largest size with (target, figure, met) per target.

    Pages of different sizes have different names (the heaviest follower differs): they are
    matched by position, as the benchmark lists them in the same order.
    """
    http, db = report["http"], report["db"]
    size = list(http)[-1]
    floor = next(iter(http[size].values()))["per_second"] or 1
    rows = []
    for index, (name, load) in enumerate(http[size].items()):
        if name.startswith("floor"):
            continue
        checks = []
        sqlite = db.get(f"SQLite {size}")
        if sqlite:
            ms = list(sqlite.values())[index]["median_ms"]
            checks.append((f"SQLite {size} DB ms", ms, ms < DB_MS))
        postgres = db.get(f"PostgreSQL {size}")
        if postgres:
            ms = list(postgres.values())[index]["median_ms"]
            checks.append((f"PostgreSQL {size} DB ms", ms, ms < DB_MS))
        share = load["per_second"] / floor
        checks.append(("/floor", share, share >= FLOOR_SHARE))
        checks.append(("non-2xx", load["not_ok"], load["not_ok"] == 0))
        if size != "S" and "S" in http:
            small = list(http["S"].values())[index]
            for key in ("p50_ms", "p99_ms"):
                ratio = load[key] / small[key] if small[key] else 0.0
                checks.append((f"L/S {key[:3]}", ratio, ratio <= LS_RATIO))
        rows.append((name, checks))
    return rows


def print_targets(report: dict) -> None:
    """Which of the issue's targets each page meets (the figure, then ok or MISSED)."""
    rows = target_rows(report)
    if not rows:
        return
    print("\nTargets: DB < 5 ms, >= 40% of the floor's req/s, no non-2xx, L/S latency <= 1.5")
    for name, checks in rows:
        cells = []
        for label, figure, met in checks:
            shown = (
                f"{figure:.0%}"
                if label == "/floor"
                else f"{figure:g}"
                if label == "non-2xx"
                else f"{figure:.2f}"
            )
            cells.append(f"{label} {shown} {'ok' if met else 'MISSED'}")
        print(f"{name:30} " + "; ".join(cells))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,L", help="datasets to run (default S,L)")
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--runs", type=int, default=30, help="replays per statement, DB-only")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL timings")
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached databases")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    sizes = [SIZES[name] for name in args.sizes.split(",")]
    report: dict = {"seconds": args.seconds, "connections": args.connections}
    report.update(http={}, db={}, seed_seconds={})
    plans = {}
    for size in sizes:
        print(f"== {size.name}: {size.users} users, {size.posts} posts", flush=True)
        report["seed_seconds"][size.name] = prepare(size, reseed=args.reseed)
        app = app_for(size.url)
        with app.app_context():
            add_rare_reader()
            add_big_thread()
            plans[size] = pages = bench_pages(app.config["POSTS_PER_PAGE"])
        report["db"][f"SQLite {size.name}"] = {
            name: asdict(t) for name, t in measure_db(app, pages, args.runs).items()
        }
    print("== HTTP", flush=True)
    for name, loads in measure_http(plans, args.seconds, args.connections).items():
        report["http"][name] = {
            page: {**asdict(load), "per_second": load.per_second} for page, load in loads.items()
        }
    if not args.no_postgres:
        size = sizes[-1]
        print(f"== PostgreSQL: copying {size.name}", flush=True)
        with throwaway_postgres() as url:
            app = app_for(url)
            with app.app_context():
                upgrade()
            copy_from_sqlite(size.path, url)
            report["db"][f"PostgreSQL {size.name}"] = {
                name: asdict(t) for name, t in measure_db(app, plans[size], args.runs).items()
            }
            with app.app_context():
                db.engine.dispose()  # let the server stop
    print_report(report)
    out = DATA / f"report-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nSaved {out.relative_to(DATA.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
