"""SQLite as a multi-process web server needs it (runs in both passes: SQLite is always there)."""

import pytest
import sqlalchemy as sa

from app import create_app
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
