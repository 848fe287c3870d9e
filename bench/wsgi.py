"""The WSGI app gunicorn serves during the benchmark: the real app, rate limits off, plus the
logged-in floor.

wrk sends every request from 127.0.0.1, so per-address limits would answer 429 and measure the
limiter instead of the pages.
"""

import os
import secrets

from flask import Flask, render_template
from flask_login import login_required

from app import create_app
from config import Config

FLOOR = "/bench/floor"


class BenchConfig(Config):
    """Production settings, except that no request is rate-limited."""

    RATELIMIT_ENABLED = False
    # bench/run.py gives gunicorn one key for both workers; in-process apps make their own.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    # bench/load.py gives gunicorn the address it serves; in-process apps serve nothing.
    SITE_URL = os.environ.get("SITE_URL") or "http://127.0.0.1"


def add_logged_in_floor(app: Flask) -> Flask:
    """Give ``app`` the logged-in floor at :data:`FLOOR`; returns ``app``.

    /healthz is the framework alone: it skips loading the user. Every logged-in page also
    reads the session user (with their roles) and notes when they were last seen; this page
    does exactly that and renders the same tiny template, so a page's share of its
    requests/s is what the page's own queries and template cost.
    """

    @app.route(FLOOR)
    @login_required
    def logged_in_floor():
        return render_template("main/healthz.html")

    return app


def bench_app(config: type[Config] = BenchConfig) -> Flask:
    """The app with ``config`` and the logged-in floor."""
    return add_logged_in_floor(create_app(config))


app = bench_app()
