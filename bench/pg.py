"""The benchmark's PostgreSQL server, and copying a seeded SQLite database into it (search
index included: its words are copied, not cut again)."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import sqlalchemy as sa

from app.models import PostSearch
from app.models.counts import drop_triggers, ensure_user_stats
from app.models.feed import reset_home_feeds
from app.models.search import drop_recent_triggers, pair_hashes, refill_recent, tsvector_literal

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# BENCH_PG_DATA: another cluster, e.g. to time L seeds while XL's cluster is busy.
CLUSTER = Path(
    os.environ.get("BENCH_PG_DATA", Path(__file__).resolve().parent / "data" / "postgres")
)
# Parents first, so foreign keys hold while copying.
TABLES = {
    "user": [
        "id",
        "username",
        "username_key",
        "email",
        "password_hash",
        "about_me",
        "email_confirmed_at",
        "created_at",
        "updated_at",
        "last_seen",
        # What each reader has been told and has read (the benchmark's notified accounts).
        "notifications_version",
        "notifications_seen_version",
        "notifications_read_id",
    ],
    "followers": ["follower_id", "followed_id", "created_at"],
    # Replies (fake_threads and the benchmark's big thread) keep what makes them replies.
    "post": [
        "id",
        "body",
        "timestamp",
        "user_id",
        "hidden_at",
        "in_reply_to_id",
        "in_reply_to_user_id",
        "thread_path",
    ],
    "post_like": ["user_id", "post_id", "created_at"],
    "mention": ["post_id", "name_key", "user_id"],
    "notification": ["id", "user_id", "actor_id", "kind", "post_id", "created_at", "group_key"],
    "tag": ["id", "name"],
    "post_tag": ["tag_id", "post_id"],
    # The search words: SQLite keeps them joined by spaces, PostgreSQL as a tsvector, and
    # their pairs (empty on SQLite) as numbers.
    "post_search": ["post_id", "terms", "pairs"],
}
CONVERT = {
    "post_search": lambda row: (
        row[0],
        tsvector_literal(row[1].split()),
        pair_hashes(row[1].split()),
    )
}
# Built in one pass after the copy: kept row by row they made the copy of L take minutes.
GIN_INDEXES = [i for i in PostSearch.__table__.indexes if i.name.startswith("ix_post_search_")]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*command) -> None:
    subprocess.run(command, check=True, timeout=60, capture_output=True)


def _as_postgres(*command: str | Path) -> list[str]:
    # initdb refuses to run as root.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return [*prefix, *map(str, command)]


@contextmanager
def bench_postgres(data: Path = CLUSTER) -> Iterator[str]:
    """Start the benchmark's PostgreSQL cluster in ``data`` (made on first use and kept, as
    XL takes minutes to seed) on 127.0.0.1; yields its URL without a database name.

    It runs with PostgreSQL's default memory settings; durability is off (the data can be
    made again), which changes how fast rows are written, not how fast pages are read.
    """
    rundir = Path(tempfile.mkdtemp(prefix="chirp-bench-pg."))  # the socket, the log
    if os.geteuid() == 0:
        shutil.chown(rundir, "postgres")
    port = free_port()
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres")
        _run(
            *_as_postgres(
                PG_BIN / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={rundir} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB"
    )
    # Started outside the try: if it fails (another run has this cluster's server up), the
    # stop below must not shut that run's server down (it did, mid-way through an XL seed).
    try:
        _run(
            *_as_postgres(
                PG_BIN / "pg_ctl", "-D", data, "-l", rundir / "log", "-w", "-o", options, "start"
            )
        )
    except subprocess.CalledProcessError:
        shutil.rmtree(rundir, ignore_errors=True)
        raise
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    finally:
        subprocess.run(
            _as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"),
            timeout=120,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(rundir, ignore_errors=True)


def create_database(server: str, name: str) -> None:
    """(Re)create the empty database ``name`` on ``server``."""
    drop_database(server, name)
    with psycopg.connect(_maintenance_dsn(server), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    """Drop the database ``name`` on ``server`` if it is there."""
    with psycopg.connect(_maintenance_dsn(server), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _maintenance_dsn(server: str) -> str:
    return server.replace("postgresql+psycopg://", "postgresql://") + "postgres"


def copy_from_sqlite(sqlite_path: Path, url: str) -> None:
    """Copy every row of a migrated SQLite database into the (migrated, empty) PostgreSQL one."""
    source = sqlite3.connect(sqlite_path)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        # Row by row, the stored counts' triggers would update one counts row a million times
        # in one transaction (measured: over 20 minutes for L); counted once at the end instead.
        drop_triggers(connection)
        drop_recent_triggers(connection)  # filled in one statement after the copy
        for index in GIN_INDEXES:
            connection.execute(sa.schema.DropIndex(index))
    with psycopg.connect(dsn) as target:
        # SQLite keeps UTC timestamps without an offset.
        target.execute("SET TIME ZONE 'UTC'")
        # The server runs with synchronous_commit off; a copy committed that way leaves its WAL
        # unflushed, and until it is flushed VACUUM cannot mark the pages all-visible.
        target.execute("SET synchronous_commit = on")
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            convert = CONVERT.get(table, tuple)
            with target.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table}"'):  # noqa: S608
                    copy.write_row(convert(row))
        for table in ("user", "post", "tag", "notification"):
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT max(id) FROM "{table}"))'
            )
    source.close()
    with engine.begin() as connection:
        connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        for index in GIN_INDEXES:
            connection.execute(sa.schema.CreateIndex(index))
        ensure_user_stats(connection)
        refill_recent(connection)
        # As flask fake leaves them: no feed yet, each built on its reader's first home visit
        # (the bench builds its readers' first, bench.subjects.bench_pages); rebuilding
        # every feed here cost some 30 s of the server's CPU at L.
        reset_home_feeds(connection)
    engine.dispose()
    with psycopg.connect(dsn, autocommit=True) as target:
        # A visibility map, so that index-only scans read no table rows (checked: a
        # database-wide VACUUM ANALYZE here left every page unmarked), then fresh statistics.
        target.execute("VACUUM")
        target.execute("ANALYZE")
