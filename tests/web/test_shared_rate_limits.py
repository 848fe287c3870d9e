"""Rate limits shared by every worker through Redis, for real: Debian's redis-server started by
the test, Chirp under gunicorn with two worker processes. One limit, not one per worker; and
when Redis goes away, each worker counts on its own until it is back, never a 500."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from app import create_app
from app.extensions import db
from app.models import User
from tests.helpers import (
    PASSWORD,
    REDIS_SERVER,
    Browser,
    Gunicorn,
    RedisServer,
    TestConfig,
    gunicorn,
)

LOGIN_REFUSED = "Too many attempts to log in"
NAME_REFUSED = "Too many failed attempts to log in with this name"
PER_WORKER_WARNING = "Rate limits count per worker"


def site_database(directory: Path) -> str:
    """A SQLite database file with the users alice and bob; returns its URL."""
    url = f"sqlite:///{directory / 'site.db'}"

    class SetupConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(SetupConfig)
    with app.app_context():
        db.create_all()
        for name in ("alice", "bob"):
            user = User(username=name, email=f"{name}@example.com")
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def start_redis() -> RedisServer:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed: apt-get install -y redis-server (CI does)")
    server = RedisServer()
    server.start()
    return server


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory) -> Iterator[Gunicorn]:
    """Two gunicorn workers counting in one Redis, behind a proxy (``X-Forwarded-For`` is the
    client's address): 4 logins a minute per address, 5 failures an hour per name."""
    server = start_redis()
    directory = tmp_path_factory.mktemp("shared-site")
    settings = {
        "DATABASE_URL": site_database(directory),
        "RATELIMIT_STORAGE_URI": server.url,
        "RATELIMIT_LOGIN": "4 per minute",
        "RATELIMIT_LOGIN_ACCOUNT": "5 per hour",
        "PROXY_FIX_X_FOR": "1",
    }
    try:
        with gunicorn(settings, directory, workers=2) as site:
            yield site
    finally:
        server.remove()


def wait_until_both_workers_answer(site: Gunicorn, seconds: float = 60) -> None:
    """Return once each of the two workers has answered a request. On a busy machine the
    second worker can still be loading the app while the first takes every connection."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while len(seen) < 2 and time.monotonic() < deadline:
        seen.add(Browser(site.url).get("/healthz").headers["X-Worker-Pid"])
        time.sleep(0.05)


def failed_logins_until_both_workers_refuse(
    site: Gunicorn, username: str, address_of_attempt
) -> tuple[list[int], set[str]]:
    """Send wrong passwords for ``username`` (attempt ``n`` from ``address_of_attempt(n)``)
    until each worker has refused one. Returns every status, and the workers that refused."""
    wait_until_both_workers_answer(site)
    statuses, refusing = [], set()
    # Past the limit every answer is a 429 anyway: keep asking (bounded) until the other
    # worker, perhaps descheduled on a busy machine, has taken a connection too.
    for n in range(300):
        browser = Browser(site.url, headers={"X-Forwarded-For": address_of_attempt(n)})
        answer = browser.submit("/auth/login", {"username": username, "password": "wrong"})
        statuses.append(answer.status)
        if answer.status == 429:
            refusing.add(answer.headers["X-Worker-Pid"])
            if len(refusing) == 2:
                break
            time.sleep(0.02)
    return statuses, refusing


def test_two_workers_share_one_login_limit_per_address(shared_site):
    statuses, refusing = failed_logins_until_both_workers_refuse(
        shared_site, "alice", lambda _n: "203.0.113.9"
    )
    assert len(refusing) == 2, "one worker answered every request"
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}  # the 5th, and all after it, whichever worker answers
    assert PER_WORKER_WARNING not in shared_site.log()


def test_two_workers_share_one_failed_login_limit_per_name(shared_site):
    """Credential stuffing: every attempt from another address, one count for the name."""
    statuses, refusing = failed_logins_until_both_workers_refuse(
        shared_site, "bob", lambda n: f"198.51.{100 + n // 250}.{n % 250 + 1}"
    )
    assert len(refusing) == 2, "one worker answered every request"
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    elsewhere = Browser(shared_site.url, headers={"X-Forwarded-For": "192.0.2.200"})
    answer = elsewhere.submit("/auth/login", {"username": "bob", "password": PASSWORD})
    assert answer.status == 429
    assert NAME_REFUSED in answer.text


def test_with_redis_down_each_worker_counts_alone_then_redis_again(tmp_path):
    """One worker, so its own count is exact: Redis stops, logins go on under the same limit
    counted in memory (and the log says so); Redis starts again, and the counts go back to it."""
    server = start_redis()
    settings = {
        "DATABASE_URL": site_database(tmp_path),
        "RATELIMIT_STORAGE_URI": server.url,
        "RATELIMIT_LOGIN": "3 per minute",
    }
    store = redis.Redis.from_url(server.url)
    try:
        with gunicorn(settings, tmp_path, workers=1) as site:
            browser = Browser(site.url)
            attempt = {"username": "alice", "password": "wrong"}
            assert browser.submit("/auth/login", attempt).status == 200
            assert store.dbsize() > 0  # counted in Redis
            server.stop()
            statuses = [browser.submit("/auth/login", attempt).status for _ in range(4)]
            assert statuses == [200, 200, 200, 429]  # a fresh count of 3, in the worker
            assert "Rate limit storage unreachable - falling back to in-memory storage" in (
                site.log()
            )
            server.start()
            store.flushall()  # a restarted Redis without persistence starts empty anyway
            deadline = time.monotonic() + 60
            while store.dbsize() == 0 and time.monotonic() < deadline:
                # The worker looks at Redis again every few seconds (backing off) meanwhile.
                browser.get("/healthz")
                browser.submit("/auth/login", attempt)
                time.sleep(0.5)
            assert store.dbsize() > 0, "the worker never went back to Redis"
            assert "Error handling request" not in site.log()
    finally:
        store.close()
        server.remove()


def test_two_workers_without_a_shared_store_are_warned_about(tmp_path):
    """``memory://`` with two workers doubles every limit: gunicorn's log says so at start."""
    settings = {"DATABASE_URL": site_database(tmp_path), "RATELIMIT_STORAGE_URI": "memory://"}
    warning = f"{PER_WORKER_WARNING}: 2 workers allow 2 times each limit"
    with gunicorn(settings, tmp_path, workers=2) as site:
        assert warning in site.wait_for_log(warning)
