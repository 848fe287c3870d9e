"""Time ``flask fake`` on SQLite or on the benchmark's PostgreSQL: wall time, the CPU time of
the command and (PostgreSQL) of the server, and the load average before and after.

On a shared machine wall time follows the other load; CPU time is the steadier figure, so both
are printed (docs/performance.md, "Seeding"). ``--set NAME=VALUE`` changes a constant of
:mod:`app.commands.fake` (or its threads and likes modules) for the run (``--set
POST_CHUNK=1000000``), so that a change can be measured against the code as it is, in
alternating runs::

    python -m bench.seedtime --size L --database sqlite
    python -m bench.seedtime --size XL --database postgresql --keep
    python -m bench.seedtime --size L --database sqlite --path /tmp/me/seedtime-L.db

``--keep`` leaves the database as the benchmark's own for that size (``bench.run`` then uses it
instead of seeding again); otherwise it is deleted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.pg import CLUSTER, bench_postgres, create_database, drop_database
from bench.seed import DATA, FLASK, ROOT, SIZES, flask, postgres_meta

MODULES = ("app.commands.fake", "app.commands.fake_threads", "app.commands.fake_likes")
TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(data: Path = CLUSTER) -> float:
    """CPU seconds used so far by the PostgreSQL server running on ``data``: the postmaster,
    its live processes, and the backends that have exited (the postmaster reaped them)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended meanwhile
        pid, parent = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # its own time and its reaped children's
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def count_step_cpu(steps_file: str, postgres: bool) -> None:
    """In the ``flask fake`` process: add the command's CPU time and (PostgreSQL) the
    server's to each step ``FakeCommunity.phase`` times, written to ``steps_file`` as JSON at
    exit. The server's is the whole cluster's (the likes and notifications use connections of
    their own), so the cluster must be this run's alone."""
    import atexit

    from app.commands import fake  # the measured process's, not this one's

    timed = fake.FakeCommunity.phase
    steps: dict[str, dict[str, float]] = {}

    @contextmanager
    def phase(self, name: str):
        command = time.process_time()
        server = server_cpu_seconds() if postgres else 0.0
        wall = time.perf_counter()
        try:
            with timed(self, name):
                yield
        finally:
            step = steps.setdefault(name, {"wall_s": 0.0, "command_cpu_s": 0.0})
            step["wall_s"] += time.perf_counter() - wall
            step["command_cpu_s"] += time.process_time() - command
            if postgres:
                step.setdefault("server_cpu_s", 0.0)
                step["server_cpu_s"] += server_cpu_seconds() - server

    def write() -> None:
        rounded = {k: {f: round(v, 1) for f, v in s.items()} for k, s in steps.items()}
        Path(steps_file).write_text(json.dumps(rounded))

    fake.FakeCommunity.phase = phase
    atexit.register(write)


def fake_command_line(
    size, settings: list[str], steps_file: str | None = None, postgres: bool = False
) -> list[str]:
    """``flask fake`` for ``size``, with the ``--set`` changes made first (and, with
    ``steps_file``, each step's CPU counted: :func:`count_step_cpu`)."""
    code = ["import importlib"]
    if steps_file:
        code.append(
            f"import bench.seedtime; bench.seedtime.count_step_cpu({steps_file!r}, {postgres!r})"
        )
    for setting in settings:
        name, value = setting.split("=", 1)
        found = [m for m in MODULES if hasattr(importlib.import_module(m), name)]
        if not found:
            raise SystemExit(f"--set {setting}: no {name} in {' or '.join(MODULES)}")
        module = found[0]
        code.append(f"setattr(importlib.import_module({module!r}), {name!r}, {int(value)})")
    code.append("from flask.cli import main; main()")
    fake = ["fake", "--users", str(size.users), "--posts", str(size.posts)]
    return [FLASK[0], "-c", "; ".join(code), *fake]


def main(argv: list[str] | None = None) -> int:
    """Seed once and print the figures; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="L", choices=list(SIZES))
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE (an integer)")
    parser.add_argument("--keep", action="store_true", help="keep it as the benchmark's")
    parser.add_argument(
        "--path", type=Path, help="SQLite: the file to seed (default: one in bench/data)"
    )
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    with ExitStack() as stack:
        if args.database == "sqlite":
            path = size.path if args.keep else DATA / f"seedtime-{args.size}.db"
            if args.path and not args.keep:
                path = args.path  # bench/data may be shared: a file of one's own
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        else:
            server = stack.enter_context(bench_postgres())
            name = size.database if args.keep else "chirp_seedtime"
            create_database(server, name)
            url = server + name
        flask(url, "db", "upgrade", timeout=300)
        env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "microblog.py"}
        load_before = os.getloadavg()
        postgres = args.database == "postgresql"
        server_before = server_cpu_seconds() if postgres else 0.0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        steps_file = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".json")).name
        subprocess.run(
            fake_command_line(size, args.set, steps_file, postgres),
            cwd=ROOT,
            env=env,
            check=True,
            timeout=7200,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        time.sleep(1)  # for the server to reap the command's backends, counting their time
        server_cpu = server_cpu_seconds() - server_before if postgres else 0.0
        figures = {
            "size": args.size,
            "database": args.database,
            "set": args.set,
            "wall_s": round(wall, 1),
            "command_cpu_s": round(
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
            ),
            "server_cpu_s": round(server_cpu, 1),
            "load_before": [round(x, 1) for x in load_before],
            "load_after": [round(x, 1) for x in os.getloadavg()],
            "steps": json.loads(Path(steps_file).read_text() or "{}"),
        }
        print(json.dumps(figures), flush=True)
        if args.keep:
            meta = postgres_meta(size) if postgres else DATA / f"{size.name}.json"
            meta.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no bench/data
            meta.write_text(json.dumps({"users": size.users, "posts": size.posts, "seconds": wall}))
        elif postgres:
            drop_database(server, name)
        else:
            for suffix in ("", "-wal", "-shm"):  # the log too (300 MB at L)
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
