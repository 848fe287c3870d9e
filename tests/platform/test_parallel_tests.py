"""The suite in parallel (pytest-xdist, ``.ci/test``): each worker process on a database of its
own, so that no worker empties, rebuilds or reads another's tables; a serial run unchanged."""

import uuid

import pytest
import sqlalchemy as sa

from tests.helpers import TEST_DATABASE_URL, XDIST_WORKER, create_database, worker_database_url

SERVER = "postgresql+psycopg://chirp:secret@127.0.0.1:5432/chirp_test"


@pytest.mark.parametrize(
    "url", [SERVER, "sqlite://", "sqlite:///:memory:", "sqlite:////tmp/chirp.db"]
)
def test_a_serial_run_uses_the_database_it_is_given(url):
    assert worker_database_url(url, "") == url


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_each_process_own_already(url):
    assert worker_database_url(url, "gw1") == url


def test_a_worker_on_a_server_gets_a_database_named_after_it():
    url = worker_database_url(SERVER, "gw1")
    assert url == "postgresql+psycopg://chirp:secret@127.0.0.1:5432/chirp_test_gw1"
    assert worker_database_url(SERVER, "gw0") != url


def test_a_worker_on_a_sqlite_file_gets_a_file_of_its_own_beside_it():
    assert (
        worker_database_url("sqlite:////tmp/t/chirp.db", "gw0") == "sqlite:////tmp/t/chirp_gw0.db"
    )


@pytest.mark.usefixtures("app")  # the worker's database exists and has the schema
def test_this_process_uses_its_workers_database():
    url = sa.make_url(TEST_DATABASE_URL)
    if url.get_backend_name() != "postgresql":
        pytest.skip("in-memory SQLite is private to the process")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        name = connection.scalar(sa.text("SELECT current_database()"))
    engine.dispose()
    if XDIST_WORKER:
        assert name.endswith(f"_{XDIST_WORKER}")
    assert name == url.database


def test_a_workers_database_is_created_once():
    url = sa.make_url(TEST_DATABASE_URL)
    if url.get_backend_name() != "postgresql":
        pytest.skip("needs a PostgreSQL server (TEST_DATABASE_URL)")
    scratch = url.set(database=f"chirp_scratch_{uuid.uuid4().hex[:12]}")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        create_database(scratch.render_as_string(hide_password=False))
        create_database(scratch.render_as_string(hide_password=False))  # there already: kept
        with admin.connect() as connection:
            found = connection.scalar(
                sa.text("SELECT count(*) FROM pg_database WHERE datname = :name"),
                {"name": scratch.database},
            )
        assert found == 1
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
        admin.dispose()
