"""CPU time per request of the bench pages, served in-process (no HTTP, no second process).

``.venv/bin/python -m bench.cpu [--size L] [--pages "explore|home, follows 100"] [--postgres]``

wrk's requests/s move by a third when other work shares the machine; the CPU time one
process spends on a request moves far less, so this is how to compare two commits on a busy
machine: run it in a worktree of each against the same database (``--database``, a SQLite
file or a SQLAlchemy URL), alternating, and compare the smallest figures. It measures the
app alone: the server, the network and the other worker are left out, so it says nothing
about concurrency. ``--postgres`` serves the size's copy in the benchmark's PostgreSQL
cluster (bench/data/postgres, started and stopped here; copied from the SQLite file first if
it is not there yet, as ``bench.run`` does). The wall time per request is printed beside the
CPU time: on PostgreSQL the database's own work happens in its server process, so there the
wall time is the one that includes it (and the one other work on the machine moves most).
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from pathlib import Path

from flask import Flask

from app.extensions import db
from bench.dbtime import logged_in_client
from bench.pg import bench_postgres
from bench.run import add_bench_accounts
from bench.seed import DATA, SIZES, prepare_postgres
from bench.subjects import BenchPage, bench_pages
from bench.wsgi import BenchConfig, bench_app


def ms_per_request(app: Flask, page: BenchPage, requests: int, batches: int) -> tuple[float, float]:
    """The smallest, over ``batches``, of the mean CPU and of the mean wall milliseconds of
    one request for ``page`` (logged in as its user, after a warm-up)."""
    client, site = logged_in_client(app, page.username), app.config["SITE_URL"]
    for _ in range(requests // 3):
        client.get(page.url, base_url=site)
    cpu, wall = [], []
    for _ in range(batches):
        started, started_wall = time.process_time(), time.perf_counter()
        for _ in range(requests):
            response = client.get(page.url, base_url=site)
        cpu.append((time.process_time() - started) / requests * 1000)
        wall.append((time.perf_counter() - started_wall) / requests * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{page.url} answered {response.status_code}")
    return min(cpu), min(wall)


def database_url(database: str | None, size: str) -> str:
    """The SQLAlchemy URL of ``database`` (a URL, or a SQLite file; None: the size's file)."""
    if database and "://" in database:
        return database
    path = (Path(database) if database else DATA / f"{size}.db").resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: make it with python -m bench.run first")
    return f"sqlite:///{path}"


def main() -> None:
    """Print CPU (and wall) ms per request for each chosen bench page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L", help="dataset made by bench.run (S or L)")
    parser.add_argument("--database", help="SQLite file or SQLAlchemy URL (default: the size's)")
    parser.add_argument(
        "--postgres", action="store_true", help="the size's copy in the bench PostgreSQL cluster"
    )
    parser.add_argument("--pages", default="", help="page names or prefixes, |-separated")
    parser.add_argument("--requests", type=int, default=100, help="requests per batch")
    parser.add_argument("--batches", type=int, default=5, help="batches per page")
    args = parser.parse_args()
    if args.postgres and args.database:
        parser.error("--postgres and --database: choose one")
    with ExitStack() as stack:
        if args.postgres:
            size = SIZES[args.size]
            # As bench.run does: its accounts go into the SQLite file before the copy.
            add_bench_accounts(database_url(None, args.size))
            server = stack.enter_context(bench_postgres())
            prepare_postgres(size, server)
            url = server + size.database
        else:
            try:
                url = database_url(args.database, args.size)
            except FileNotFoundError as missing:
                parser.error(str(missing))
        config = type("Config", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": url})
        app = bench_app(config)
        with app.app_context():
            pages = bench_pages(app.config["POSTS_PER_PAGE"])
        wanted = [name for name in args.pages.split("|") if name]
        for page in pages:
            if wanted and not any(page.name.startswith(name) for name in wanted):
                continue
            cpu, wall = ms_per_request(app, page, args.requests, args.batches)
            print(f"{page.name:44s} {cpu:6.2f} ms CPU {wall:6.2f} ms wall per request", flush=True)
        with app.app_context():
            db.engine.dispose()  # let the server stop


if __name__ == "__main__":
    main()
