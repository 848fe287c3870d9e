"""Real servers that tests start, stop and start again themselves.

- :class:`PostgresServer`: a throwaway PostgreSQL (as ``.ci/postgres.sh`` starts one) that a test
  may stop under the app, to see what a database outage looks like, and start again.
- :class:`RedisServer`: Debian's ``redis-server`` on a free port, the shared rate-limit store.
- :func:`gunicorn`: Chirp served as in production, by several worker processes.
- :class:`Browser`: an HTTP client with cookies that fills in forms, for those servers.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server")
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _as_postgres(*command: str | Path) -> list[str]:
    # initdb refuses to run as root, so root runs the server as the postgres user.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return [*prefix, *map(str, command)]


class PostgresServer:
    """A PostgreSQL server of one test's own, in a temporary directory, with a database
    ``chirp``. :meth:`stop` and :meth:`start` keep its data and port."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="chirp-test-pg."))
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/chirp"

    @staticmethod
    def available() -> bool:
        """Whether PostgreSQL's server programs are installed."""
        return (PG_BIN / "initdb").exists()

    def _run(self, *command: str | Path) -> None:
        subprocess.run(_as_postgres(*command), check=True, timeout=60, capture_output=True)  # noqa: S603

    def create(self) -> None:
        """Make the cluster, start it and create the database."""
        data = self.workdir / "data"
        self._run(PG_BIN / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()
        self._run(
            PG_BIN / "psql", "-q", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres",
            "-d", "postgres", "-c", "CREATE DATABASE chirp",
        )  # fmt: skip

    def start(self) -> None:
        """Start the server (again); returns once it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            PG_BIN / "pg_ctl", "-D", self.workdir / "data", "-l", self.workdir / "server.log",
            "-w", "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server, ending every connection (what an outage looks like to the app)."""
        self._run(PG_BIN / "pg_ctl", "-D", self.workdir / "data", "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete everything it had."""
        subprocess.run(  # noqa: S603
            _as_postgres(PG_BIN / "pg_ctl", "-D", self.workdir / "data", "-m", "immediate", "stop"),
            timeout=60,
            capture_output=True,
        )
        shutil.rmtree(self.workdir, ignore_errors=True)


class RedisServer:
    """Debian's redis-server on 127.0.0.1 at a free port, nothing saved to disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="chirp-test-redis."))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server (again, on the same port); returns once it accepts connections."""
        assert REDIS_SERVER, "redis-server is not installed"
        command = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.workdir),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        """Stop the server (by its pid) and wait until it has gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def remove(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass
class Gunicorn:
    """A running gunicorn: its base URL and what it has logged so far."""

    url: str
    log_file: Path

    def log(self) -> str:
        """Everything gunicorn and the app wrote to stderr until now."""
        return self.log_file.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60) -> str:
        """Wait until the log holds ``text``; returns the log."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return log


@contextmanager
def gunicorn(env: dict[str, str], log_dir: Path, workers: int = 2) -> Iterator[Gunicorn]:
    """Serve Chirp (``tests/worker_app.py``: it names the worker in a header) with ``workers``
    processes on a free port of 127.0.0.1, configured by ``env`` (``DATABASE_URL`` and so on)
    in production mode, with the project's ``gunicorn.conf.py``. Without a control socket: its
    one default path would be shared by every gunicorn on the machine."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "RATELIMIT_"))},
        "SECRET_KEY": "a-test-secret-key-for-gunicorn",
        "SITE_URL": base,
        **env,
    }
    log_file = log_dir / f"gunicorn-{port}.log"
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "5", "--no-control-socket", "tests.worker_app:app",
    ]  # fmt: skip
    with log_file.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_for_port(port, server, timeout=60)
        yield Gunicorn(base, log_file)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


@dataclass
class Answer:
    """An HTTP response, whatever its status."""

    status: int
    headers: dict[str, str]
    text: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


class Browser:
    """A client of a live server, with its own cookies; ``headers`` go with every request."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.headers = headers or {}
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> Answer:
        """GET ``path``, or POST ``data`` to it."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=self.headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str) -> Answer:
        return self.request(path)

    def submit(self, path: str, data: dict[str, str]) -> Answer:
        """Fill in the form on ``path`` (its CSRF token included) and send it."""
        page = self.get(path).text
        match = CSRF_FIELD.search(page)
        assert match, f"no CSRF token on {path}"
        return self.request(path, {"csrf_token": match.group(1), **data})

    def cookie(self, name: str) -> str | None:
        """The value of this browser's cookie ``name``, if it has one."""
        return next((c.value for c in self.cookies if c.name == name), None)
