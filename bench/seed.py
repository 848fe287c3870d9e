"""The benchmark's databases, seeded once and reused: SQLite files under bench/data/, and
databases of the benchmark's own PostgreSQL cluster in bench/data/postgres/ (copies of the
SQLite ones for S and L, so both engines serve the same rows; XL is made there directly)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.pg import copy_from_sqlite, create_database

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
FLASK = [sys.executable, "-m", "flask"]


@dataclass(frozen=True)
class Size:
    """A dataset: how many users and posts ``flask fake`` makes."""

    name: str
    users: int
    posts: int
    on_sqlite: bool = True  # XL is for PostgreSQL only

    @property
    def path(self) -> Path:
        """The cached SQLite file."""
        return DATA / f"{self.name}.db"

    @property
    def url(self) -> str:
        """Its SQLAlchemy URL."""
        return f"sqlite:///{self.path}"

    @property
    def database(self) -> str:
        """Its database's name in the benchmark's PostgreSQL cluster."""
        return f"chirp_{self.name.lower()}"


SIZES = {
    "S": Size("S", 1_000, 50_000),
    "L": Size("L", 10_000, 1_000_000),
    "XL": Size("XL", 100_000, 10_000_000, on_sqlite=False),
}


def flask(url: str, *args: str, timeout: float) -> None:
    """Run ``flask *args`` against the database ``url``."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "microblog.py"}
    subprocess.run([*FLASK, *args], cwd=ROOT, env=env, check=True, timeout=timeout)


def prepare(size: Size, reseed: bool = False) -> float:
    """Make sure ``size``'s database exists and is migrated; returns its seeding time in seconds.

    A file whose seeding did not finish (no ``.json`` beside it) is made again, and then so
    is its PostgreSQL copy.
    """
    DATA.mkdir(parents=True, exist_ok=True)
    meta = DATA / f"{size.name}.json"
    if reseed or not meta.exists():
        postgres_meta(size).unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{size.path}{suffix}").unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        flask(size.url, "db", "upgrade", timeout=120)
        started = time.perf_counter()
        flask(size.url, "fake", "--users", str(size.users), "--posts", str(size.posts), timeout=600)
        seconds = time.perf_counter() - started
        meta.write_text(json.dumps({"users": size.users, "posts": size.posts, "seconds": seconds}))
    else:
        flask(size.url, "db", "upgrade", timeout=600)  # new migrations since it was seeded
    return json.loads(meta.read_text())["seconds"]


def postgres_meta(size: Size) -> Path:
    """Written once ``size``'s PostgreSQL database is complete."""
    return DATA / f"{size.name}-postgresql.json"


def prepare_postgres(size: Size, server: str, reseed: bool = False) -> float:
    """Make sure ``size``'s database on the benchmark's PostgreSQL ``server`` (a URL without
    a database name) exists and is migrated; returns how long making it took, in seconds.

    S and L are copied from their SQLite files (call :func:`prepare` first, and add the rare
    reader there); XL is seeded by ``flask fake`` itself, which is part of what it measures.
    """
    meta, url = postgres_meta(size), server + size.database
    if reseed or not meta.exists():
        meta.unlink(missing_ok=True)
        create_database(server, size.database)
        flask(url, "db", "upgrade", timeout=120)
        started = time.perf_counter()
        if size.on_sqlite:
            copy_from_sqlite(size.path, url)
        else:
            flask(url, "fake", "--users", str(size.users), "--posts", str(size.posts), timeout=3600)
        seconds = time.perf_counter() - started
        meta.write_text(json.dumps({"users": size.users, "posts": size.posts, "seconds": seconds}))
    else:
        # A migration may rewrite a table: f3a7c2e9d4b6 (the pairs of words of 10 million
        # posts) took 17 minutes at XL on a loaded machine.
        flask(url, "db", "upgrade", timeout=2400)
    return json.loads(meta.read_text())["seconds"]
