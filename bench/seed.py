"""The benchmark's databases: SQLite files under bench/data/, seeded once and reused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
FLASK = [sys.executable, "-m", "flask"]


@dataclass(frozen=True)
class Size:
    """A dataset: how many users and posts ``flask fake`` makes."""

    name: str
    users: int
    posts: int

    @property
    def path(self) -> Path:
        """The cached SQLite file."""
        return DATA / f"{self.name}.db"

    @property
    def url(self) -> str:
        """Its SQLAlchemy URL."""
        return f"sqlite:///{self.path}"


SIZES = {"S": Size("S", 1_000, 50_000), "L": Size("L", 10_000, 1_000_000)}


def flask(url: str, *args: str, timeout: float) -> None:
    """Run ``flask *args`` against the database ``url``."""
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "microblog.py"}
    subprocess.run([*FLASK, *args], cwd=ROOT, env=env, check=True, timeout=timeout)


def prepare(size: Size, reseed: bool = False) -> float:
    """Make sure ``size``'s database exists and is migrated; returns its seeding time in seconds.

    A file whose seeding did not finish (no ``.json`` beside it) is made again.
    """
    DATA.mkdir(parents=True, exist_ok=True)
    meta = DATA / f"{size.name}.json"
    if reseed or not meta.exists():
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
