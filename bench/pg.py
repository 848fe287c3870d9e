"""A throwaway PostgreSQL server holding a copy of a seeded SQLite database."""

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

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# Parents first, so foreign keys hold while copying.
TABLES = {
    "user": [
        "id",
        "username",
        "username_key",
        "email",
        "password_hash",
        "about_me",
        "created_at",
        "updated_at",
        "last_seen",
    ],
    "followers": ["follower_id", "followed_id", "created_at"],
    "post": ["id", "body", "timestamp", "user_id"],
}


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
def throwaway_postgres() -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1 in a temporary directory; yields the database URL."""
    workdir = Path(tempfile.mkdtemp(prefix="chirp-bench-pg."))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
    data, port = workdir / "data", free_port()
    try:
        _run(
            *_as_postgres(
                PG_BIN / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"
            )
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            *_as_postgres(
                PG_BIN / "pg_ctl", "-D", data, "-l", workdir / "log", "-w", "-o", options, "start"
            )
        )
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
        ) as c:
            c.execute("CREATE DATABASE chirp_bench")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/chirp_bench"
    finally:
        subprocess.run(
            _as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"),
            timeout=60,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def copy_from_sqlite(sqlite_path: Path, url: str) -> None:
    """Copy every row of a migrated SQLite database into the (migrated, empty) PostgreSQL one."""
    source = sqlite3.connect(sqlite_path)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as target:
        # SQLite keeps UTC timestamps without an offset.
        target.execute("SET TIME ZONE 'UTC'")
        # The server runs with synchronous_commit off; a copy committed that way leaves its WAL
        # unflushed, and until it is flushed VACUUM cannot mark the pages all-visible.
        target.execute("SET synchronous_commit = on")
        for table, columns in TABLES.items():
            names = ", ".join(columns)
            with target.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table}"'):  # noqa: S608
                    copy.write_row(row)
        for table in ("user", "post"):
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT max(id) FROM "{table}"))'
            )
    source.close()
    with psycopg.connect(dsn, autocommit=True) as target:
        # A visibility map, so that index-only scans read no table rows (checked: a
        # database-wide VACUUM ANALYZE here left every page unmarked), then fresh statistics.
        target.execute("VACUUM")
        target.execute("ANALYZE")
