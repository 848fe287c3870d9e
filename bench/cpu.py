"""CPU time per request of the bench pages, served in-process (no HTTP, no second process).

``.venv/bin/python -m bench.cpu [--size L] [--pages "explore|home, follows 100"]``

wrk's requests/s move by a third when other work shares the machine; the CPU time one
process spends on a request moves far less, so this is how to compare two commits on a busy
machine: run it in a worktree of each against the same database file (``--database``),
alternating, and compare the smallest figures. It measures the app alone: the server,
the network and the other worker are left out, so it says nothing about concurrency.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flask import Flask

from bench.dbtime import logged_in_client
from bench.seed import DATA
from bench.subjects import BenchPage, bench_pages
from bench.wsgi import BenchConfig, bench_app


def cpu_ms_per_request(app: Flask, page: BenchPage, requests: int, batches: int) -> float:
    """The smallest, over ``batches``, of the mean CPU milliseconds of one request for
    ``page`` (logged in as its user, after a warm-up)."""
    client, site = logged_in_client(app, page.username), app.config["SITE_URL"]
    for _ in range(requests // 3):
        client.get(page.url, base_url=site)
    figures = []
    for _ in range(batches):
        started = time.process_time()
        for _ in range(requests):
            response = client.get(page.url, base_url=site)
        figures.append((time.process_time() - started) / requests * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{page.url} answered {response.status_code}")
    return min(figures)


def main() -> None:
    """Print CPU ms per request for each chosen bench page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="L", help="dataset made by bench.run (S or L)")
    parser.add_argument("--database", type=Path, help="SQLite file (default: the size's)")
    parser.add_argument("--pages", default="", help="page names or prefixes, |-separated")
    parser.add_argument("--requests", type=int, default=100, help="requests per batch")
    parser.add_argument("--batches", type=int, default=5, help="batches per page")
    args = parser.parse_args()
    database = (args.database or DATA / f"{args.size}.db").resolve()
    if not database.exists():
        parser.error(f"{database} does not exist: make it with python -m bench.run first")
    config = type("Config", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    app = bench_app(config)
    with app.app_context():
        pages = bench_pages(app.config["POSTS_PER_PAGE"])
    wanted = [name for name in args.pages.split("|") if name]
    for page in pages:
        if wanted and not any(page.name.startswith(name) for name in wanted):
            continue
        ms = cpu_ms_per_request(app, page, args.requests, args.batches)
        print(f"{page.name:44s} {ms:6.2f} ms CPU per request", flush=True)


if __name__ == "__main__":
    main()
