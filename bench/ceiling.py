"""How fast could home be if its data cost nothing? ``.venv/bin/python -m bench.ceiling``.

The issue asks every timeline page for 40% of the floor's requests/s (the anonymous /healthz).
This serves the benchmark app at L with one more route, /ceiling/home: the home page of the
benchmark's reader rendered from a user and a page of post cards that each worker loaded once
at start-up. It runs no SQL at all and loads no session user, so what it reaches is the most
any database design (indexes, caches, fan-out) could give home with these templates and this
framework. It takes turns with the floor and the real home page in rounds, like bench.run.
"""

from __future__ import annotations

import argparse
import sys

from flask import Flask, g, render_template

from app.extensions import db
from app.listings.keyset import keyset_page
from app.listings.people import suggestion_cards
from app.listings.timeline import home_timeline
from app.main.forms import PostForm
from app.models import user_by_username
from app.search.tags import trending
from bench.load import Load, fetch, gunicorn, login, run_wrk
from bench.run import app_for
from bench.seed import SIZES, prepare
from bench.subjects import add_rare_reader, bench_pages
from bench.wsgi import app as bench_app

# name: (path, text the page must contain, logged in)
PAGES = {
    "floor: /healthz": ("/healthz", "ok", False),
    "home, no SQL": ("/ceiling/home", 'class="post"', False),
    "home": ("/", 'class="post"', True),
}


def ceiling_app(app: Flask = bench_app) -> Flask:
    """gunicorn's app: the benchmark's, plus /ceiling/home (data loaded here, once)."""
    per_page = app.config["POSTS_PER_PAGE"]
    with app.app_context():
        reader = user_by_username(bench_pages(per_page)[2].username)
        reader.roles  # noqa: B018  (loaded now: the navigation asks for them)
        cards = keyset_page(home_timeline(reader), per_page)
        suggestions = suggestion_cards(reader)
        trends = trending()  # a list: no recount a minute later
        db.session.expunge(reader)
    # Its bell as after a visit to the notifications page: nothing new, known without SQL.
    reader.notifications_seen_version = reader.notifications_version

    @app.route("/ceiling/home")
    def ceiling_home():
        # Flask-Login keeps the request's user in g._login_user: set, it loads nobody. The
        # request carries no session cookie, so nobody was loaded before either.
        g._login_user = reader
        return render_template(
            "main/index.html",
            title="Home",
            form=PostForm(),
            posts=cards.items,
            following_anyone=True,
            suggestions=suggestions,
            trends=trends,
            prev_url=None,
            next_url="/?after=" + cards.next_cursor,
        )

    return app


def main(argv: list[str] | None = None) -> int:
    """Measure the floor, the no-SQL home and home at L; print requests/s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=12, help="wrk seconds per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = parser.parse_args(argv)
    size = SIZES["L"]
    prepare(size)
    app = app_for(size.url)
    with app.app_context():
        add_rare_reader()
        reader = bench_pages(app.config["POSTS_PER_PAGE"])[2].username
    rounds = max(1, args.seconds // 3)
    results: dict[str, list[Load]] = {name: [] for name in PAGES}
    with gunicorn(size.url, app="bench.ceiling:ceiling_app()") as base:
        cookie = login(base, reader)
        targets = [
            (name, base + path, marker, cookie if logged_in else "")
            for name, (path, marker, logged_in) in PAGES.items()
        ]
        for name, url, marker, with_cookie in targets:
            status, body = fetch(url, with_cookie)
            if status != 200 or marker not in body:
                raise RuntimeError(f"{name}: {url} answered {status}")
            run_wrk(url, with_cookie, 1, args.connections)  # warm-up
        for _ in range(rounds):
            for name, url, _, with_cookie in targets:
                results[name].append(run_wrk(url, with_cookie, 3, args.connections))
    floor = _per_second(results["floor: /healthz"])
    print(f"L, gunicorn 2 workers, wrk -c{args.connections}, {rounds} rounds of 3 s per page")
    print(f"{'page':16} {'req/s':>8} {'/floor':>7} {'non-2xx':>8}")
    for name, loads in results.items():
        per_second, not_ok = _per_second(loads), sum(load.not_ok for load in loads)
        print(f"{name:16} {per_second:8.0f} {per_second / floor:7.0%} {not_ok:8d}")
    return 0


def _per_second(loads: list[Load]) -> float:
    return sum(load.requests for load in loads) / sum(load.seconds for load in loads)


if __name__ == "__main__":
    sys.exit(main())
