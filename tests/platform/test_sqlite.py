"""SQLite as a multi-process web server needs it (runs in both passes: SQLite is always there)."""

import contextlib
import sqlite3
import time

import pytest
import sqlalchemy as sa

from app import create_app
from app.database import BACKSTOP_CHECKPOINT_PAGES
from app.extensions import db
from tests.helpers import TestConfig

EXPECTED = {
    "journal_mode": "wal",  # readers don't wait for the writer
    "busy_timeout": 5000,  # a locked database is waited for, not an error
    "foreign_keys": 1,  # ON DELETE CASCADE and references are enforced
    "synchronous": 1,  # NORMAL: safe with WAL, far fewer fsyncs than FULL
    "cache_size": -65536,  # 64 MiB of cached pages per connection
}


@pytest.fixture
def file_engine(tmp_path):
    """The engine of an app on an SQLite database file."""

    class FileConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'chirp.db'}"

    app = create_app(FileConfig)
    with app.app_context():
        yield db.engine
        db.engine.dispose()


def test_every_connection_gets_the_server_settings(file_engine):
    with file_engine.connect() as first, file_engine.connect() as second:
        assert first.connection.dbapi_connection is not second.connection.dbapi_connection
        for connection in (first, second):
            settings = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in EXPECTED
            }
            assert settings == EXPECTED


def test_other_engines_keep_the_driver_defaults(file_engine, tmp_path):
    """The settings belong to the app's engine, not to every engine in the process."""
    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with other.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    other.dispose()


def test_sqlite_checkpoints_itself_unless_a_thread_does(file_engine):
    """Off (the test settings, and SQLITE_CHECKPOINT_SECONDS=0): SQLite's own checkpoint
    every 1,000 pages, inside whichever commit crosses it."""
    with file_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_wal_checkpoints_run_in_a_thread_not_in_requests(tmp_path):
    """On: the app's connections leave checkpoints to a thread until the backstop, and the
    thread copies what the requests wrote back into the database on its own."""

    class Checkpointed(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'chirp.db'}"
        SQLITE_CHECKPOINT_SECONDS = 0.05

    app = create_app(Checkpointed)
    checkpoints = app.extensions["sqlite_checkpoints"]
    try:
        with app.app_context():
            db.create_all()
            with db.engine.begin() as connection:
                assert (
                    connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                    == BACKSTOP_CHECKPOINT_PAGES
                )
                connection.exec_driver_sql("CREATE TABLE scratch (x)")
                connection.exec_driver_sql("INSERT INTO scratch VALUES (1)")

            # The database file alone (``immutable``: its WAL ignored) shows the row once a
            # checkpoint has copied it there; no commit of the app's crossed the backstop.
            def in_the_file() -> list:
                uri = f"file:{tmp_path / 'chirp.db'}?immutable=1"
                with contextlib.closing(sqlite3.connect(uri, uri=True)) as reader:
                    try:
                        return reader.execute("SELECT x FROM scratch").fetchall()
                    except sqlite3.OperationalError:  # the table is not there yet
                        return []

            deadline = time.monotonic() + 10
            while not in_the_file() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert in_the_file() == [(1,)]
            assert checkpoints.runs >= 1
            db.engine.dispose()
    finally:
        checkpoints.stop()


def test_no_checkpoint_thread_for_an_in_memory_database():
    class InMemory(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        SQLITE_CHECKPOINT_SECONDS = 1

    assert "sqlite_checkpoints" not in create_app(InMemory).extensions
