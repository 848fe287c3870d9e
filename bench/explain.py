"""EXPLAIN (ANALYZE, BUFFERS) of the statements a bench page runs, on the benchmark's PostgreSQL.

``.venv/bin/python -m bench.explain --size XL --pages "home, follows"``

The DB-only figures of ``bench.run`` say how long a page's statements take; this says why: the
plan of each statement the page really runs (recorded as ``bench.run`` records them), with
its execution and planning time and the buffers it read. Run after ``bench.run`` or
``bench.seedtime --keep`` made the size's database; its server must not be running already
(one user of the cluster at a time).
"""

from __future__ import annotations

import argparse
import re

from flask import Flask

from app.extensions import db
from bench.dbtime import is_setting, page_statements
from bench.pg import bench_postgres
from bench.seed import SIZES, postgres_meta
from bench.subjects import BenchPage, bench_pages
from bench.wsgi import BenchConfig, bench_app

SUMMARY = re.compile(r"^(Planning Time|Execution Time|Buffers): (.*)$")


def explain_page(app: Flask, page: BenchPage) -> list[tuple[str, list[str]]]:
    """Each read statement of ``page`` with its analysed plan's lines."""
    statements = page_statements(app, page.url, page.username)
    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        plans = []
        for sql, params in statements:
            if is_setting(sql):
                cursor.execute(sql, params)
                continue
            cursor.execute(sql, params)  # once to warm the cache, as the replays do
            cursor.fetchall()
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plans.append((sql, [row[0] for row in cursor.fetchall()]))
        cursor.close()
    finally:
        raw.close()
    return plans


def main(argv: list[str] | None = None) -> int:
    """Print the plans of the chosen pages; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="XL", choices=list(SIZES))
    parser.add_argument("--pages", default="home", help="page names or prefixes, |-separated")
    parser.add_argument("--full", action="store_true", help="the SQL too, not only the plans")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    if not postgres_meta(size).exists():
        parser.error(f"no {size.name} database on PostgreSQL yet: run bench.run or bench.seedtime")
    wanted = [name for name in args.pages.split("|") if name]
    with bench_postgres() as server:
        config = {"SQLALCHEMY_DATABASE_URI": server + size.database}
        app = bench_app(type("Config", (BenchConfig,), config))
        with app.app_context():
            pages = bench_pages(app.config["POSTS_PER_PAGE"])
        for page in pages:
            if not any(page.name.startswith(name) for name in wanted):
                continue
            print(f"\n=== {size.name} PostgreSQL: {page.name} ({page.url})")
            for number, (sql, plan) in enumerate(explain_page(app, page), 1):
                summary = [line for line in plan if SUMMARY.match(line)]
                print(f"-- statement {number}: " + "; ".join(summary))
                if args.full:
                    print(sql)
                print("\n".join(plan))
        with app.app_context():
            db.engine.dispose()  # let the server stop
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
