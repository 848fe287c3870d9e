"""Per-process memos: an answer is reused while fresh, recomputed once stale or forgotten,
a full memo drops what has expired before it grows, and a memo that refreshes behind serves
its stale answer while a thread computes the next."""

import threading

import pytest
from flask import Flask, current_app
from sqlalchemy.pool import StaticPool

from app import create_app
from app.extensions import db as _db
from app.web import memo as memo_module
from app.web.memo import Memo, clear_all
from tests.helpers import TestConfig


@pytest.fixture
def clock(monkeypatch):
    """A monotonic clock the test moves by hand (``clock[0]`` seconds)."""
    now = [1000.0]
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: now[0])
    return now


def counter():
    """A compute function that answers how often it has been called."""
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return compute


def test_an_answer_is_reused_until_it_is_stale(app, clock):
    memo, compute = Memo("test", seconds=60), counter()
    with app.app_context():
        assert memo.get("k", compute) == 1
        clock[0] += 59
        assert memo.get("k", compute) == 1
        clock[0] += 1
        assert memo.get("k", compute) == 2


def test_forgetting_a_key_recomputes_it_and_only_it(app, clock):
    memo, compute = Memo("test", seconds=60), counter()
    with app.app_context():
        memo.get("a", compute)
        memo.get("b", compute)
        memo.forget("a")
        memo.forget("never kept")
        assert memo.get("a", compute) == 3
        assert memo.get("b", compute) == 2


def test_a_full_memo_drops_expired_answers_first(app, clock):
    memo, compute = Memo("test", seconds=60, size=2), counter()
    with app.app_context():
        memo.get("old", compute)
        clock[0] += 30
        memo.get("new", compute)
        clock[0] += 31  # "old" has expired, "new" has not
        memo.get("third", compute)
        kept = app.extensions["memo.test"]
        assert set(kept) == {"new", "third"}
        # Nothing expired: all go, so the memo never holds more than its size.
        memo.get("fourth", compute)
        assert set(kept) == {"fourth"}


def test_each_app_keeps_its_own(app, clock):
    memo = Memo("test", seconds=60)
    with app.app_context():
        memo.get("k", lambda: "first app")
    with Flask("another").app_context():
        assert memo.get("k", lambda: "second app") == "second app"


def test_clearing_forgets_every_answer_of_that_app(app, clock):
    memo, compute = Memo("test", seconds=60), counter()
    with app.app_context():
        memo.get("a", compute)
        memo.get("b", compute)
        memo.clear(app)
        memo.clear(app)  # nothing kept: nothing to do
        assert (memo.get("a", compute), memo.get("b", compute)) == (3, 4)


def test_clearing_all_memos_leaves_other_extensions(app, clock):
    with app.app_context():
        Memo("one", seconds=60).get("k", lambda: 1)
        Memo("two", seconds=60).get("k", lambda: 2)
    clear_all(app)
    assert not [name for name in app.extensions if name.startswith("memo.")]
    assert "sqlalchemy" in app.extensions


@pytest.fixture
def threaded_app(shared_app):
    """An app whose database gives each thread a connection of its own, as a server's does
    (the ``app`` fixture's in-memory SQLite has one connection for all: no refresh thread)."""
    return shared_app


def wait_for(condition, seconds: float = 5.0) -> None:
    """Wait (in real time, the test clock stands still) until ``condition()`` holds."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("the memo's refresh never finished")


def test_a_stale_answer_is_served_while_a_thread_computes_the_next(threaded_app, clock):
    app = threaded_app
    memo, calls, release = Memo("test", seconds=60, refresh_behind=True), [], threading.Event()

    def compute():
        calls.append(threading.current_thread().name)
        if len(calls) > 1:
            assert release.wait(5)  # the refresh: held until the test has looked
        return len(calls)

    with app.app_context():
        assert memo.get("k", compute) == 1  # nothing kept yet: computed by the request
        clock[0] += 60
        assert memo.get("k", compute) == 1  # stale, served at once
        assert memo.get("k", compute) == 1  # one refresh at a time, not one per request
        release.set()
        wait_for(lambda: app.extensions["memo.test"]["k"][1] == 2)
        assert memo.get("k", compute) == 2
    assert calls[0] == threading.current_thread().name
    assert calls[1:] == ["memo-test"]


def test_a_failed_refresh_keeps_the_last_answer_and_is_logged(threaded_app, clock, caplog):
    app = threaded_app
    memo, failed = Memo("test", seconds=60, refresh_behind=True), threading.Event()

    def fail():
        failed.set()
        raise RuntimeError("the database went away")

    with app.app_context():
        memo.get("k", lambda: "last")
        clock[0] += 60
        assert memo.get("k", fail) == "last"
        assert failed.wait(5)
        wait_for(lambda: "Refreshing memo test failed" in caplog.text)
        clock[0] += 59
        assert memo.get("k", lambda: "next") == "last"  # kept another minute
        clock[0] += 1
        assert memo.get("k", lambda: "next") == "last"  # stale again: the next refresh
        wait_for(lambda: app.extensions["memo.test"]["k"][1] == "next")


def test_the_refresh_has_an_app_context_of_its_own(threaded_app, clock):
    app = threaded_app
    memo, seen = Memo("test", seconds=60, refresh_behind=True), []

    def compute():
        seen.append(current_app._get_current_object())
        return len(seen)

    with app.app_context():
        memo.get("k", compute)
        clock[0] += 60
        memo.get("k", compute)
        wait_for(lambda: len(seen) == 2)
    assert seen == [app, app]


def test_a_server_keeps_only_the_refreshes_still_running(threaded_app, clock):
    app = threaded_app
    memo = Memo("test", seconds=60, refresh_behind=True)
    with app.app_context():
        memo.get("k", lambda: 0)
        for minute in range(1, 4):
            clock[0] += 60
            memo.get("k", lambda minute=minute: minute)
            for thread in list(app.extensions["memo_refreshes"]):
                thread.join(5)
    assert app.extensions["memo.test"]["k"][1] == 3
    assert len(app.extensions["memo_refreshes"]) == 1  # the last one, finished since


def test_with_one_connection_for_all_threads_the_request_refreshes(clock):
    # SQLAlchemy's StaticPool, as on in-memory SQLite: a refresh thread would share the
    # request's connection, and so its transaction.
    options = {**TestConfig.SQLALCHEMY_ENGINE_OPTIONS, "poolclass": StaticPool}
    app = create_app(type("OneConnection", (TestConfig,), {"SQLALCHEMY_ENGINE_OPTIONS": options}))
    memo, calls = Memo("test", seconds=60, refresh_behind=True), []

    def compute():
        calls.append(threading.current_thread().name)
        return len(calls)

    try:
        with app.app_context():
            assert memo.get("k", compute) == 1
            clock[0] += 60
            assert memo.get("k", compute) == 2  # computed now, not served stale
            assert memo.get("k", compute) == 2
    finally:
        with app.app_context():
            _db.engine.dispose()
    assert calls == [threading.current_thread().name] * 2
    assert not app.extensions.get("memo_refreshes")
