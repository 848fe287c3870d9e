"""DB-only timings: the SQL a page really runs, replayed on the database without the app."""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db

CSRF_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = "chirp-fake-password"  # noqa: S105  (flask fake's default)


def csrf_token(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = CSRF_TOKEN.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


@dataclass
class Timing:
    """How long a page's read statements take on the database alone."""

    statements: int
    median_ms: float  # sum over the page's statements of each one's median
    worst_statement_ms: float


def logged_in_client(app: Flask, username: str | None) -> FlaskClient:
    """A test client of ``app`` logged in as ``username`` through the login form (None: nobody
    logged in). Its requests must use ``base_url=app.config["SITE_URL"]``."""
    client = app.test_client()
    site = app.config["SITE_URL"]  # the only host a production app answers to
    if username:
        form = client.get("/auth/login", base_url=site).get_data(as_text=True)
        data = {"csrf_token": csrf_token(form), "username": username, "password": PASSWORD}
        # As a browser sends it: over HTTPS, Flask-WTF refuses a POST without a Referer.
        referer = {"Referer": f"{site}/auth/login"}
        if client.post("/auth/login", data=data, base_url=site, headers=referer).status_code != 302:
            raise RuntimeError(f"could not log in as {username}")
    return client


def page_statements(app: Flask, url: str, username: str | None) -> list[tuple[str, object]]:
    """The read statements (SQL and parameters) one request for ``url`` runs, with the settings
    it makes for them (:func:`is_setting`)."""
    client, site = logged_in_client(app, username), app.config["SITE_URL"]
    client.get(url, base_url=site)  # the once-a-minute last_seen write happens here, not below
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url, base_url=site)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    kept = ("SELECT", "WITH", "SET")
    return [(sql, p) for sql, p in seen if sql.lstrip().upper().startswith(kept)]


def is_setting(sql: str) -> bool:
    """Whether ``sql`` is a setting the page makes for its statements (``SET LOCAL
    plan_cache_mode``, see app.database.custom_plans): replayed before them, not timed."""
    return sql.lstrip().upper().startswith("SET")


def time_statements(app: Flask, statements: list[tuple[str, object]], runs: int) -> Timing:
    """Replay ``statements`` on a raw database connection ``runs`` times each (settings once,
    in one transaction, so they apply as they did in the page)."""
    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        medians = []
        for sql, params in statements:
            if is_setting(sql):  # lasts to the end of this connection's transaction
                cursor.execute(sql, params)
                continue
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                samples.append(time.perf_counter() - started)
            medians.append(statistics.median(samples) * 1000)
        cursor.close()
    finally:
        raw.close()
    return Timing(len(medians), sum(medians), max(medians, default=0.0))
