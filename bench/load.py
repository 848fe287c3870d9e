"""HTTP load: the app under gunicorn on 127.0.0.1, a logged-in session, and wrk."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from bench.dbtime import PASSWORD, csrf_token
from bench.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "report.lua"
RESULT = re.compile(
    r"BENCH requests=(\d+) duration_us=(\d+) not_ok=(\d+) socket_errors=(\d+) "
    r"p50_us=(\d+) p99_us=(\d+)"
)


@dataclass
class Load:
    """What wrk measured for one URL."""

    requests: int
    seconds: float
    not_ok: int  # responses other than 200, plus socket errors
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def parse_wrk(output: str) -> Load:
    """Read the line bench/report.lua prints."""
    match = RESULT.search(output)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, micros, not_ok, errors, p50, p99 = map(int, match.groups())
    return Load(requests, micros / 1e6, not_ok + errors, p50 / 1000, p99 / 1000)


@dataclass(frozen=True)
class Served:
    """A gunicorn serving the app: its base URL and the arbiter's process id."""

    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User and system CPU seconds used so far by the arbiter and its live workers (Linux
        ``/proc``). Differences between two readings are what the server spent meanwhile,
        whatever else the machine ran: unlike requests/s, they do not depend on its load."""
        pids = [self.pid, *_children(self.pid)]
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # a worker that exited meanwhile
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
        return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        if parent == pid:
            children.append(int(stat.parent.name))
    return children


@contextmanager
def gunicorn(
    database_url: str, workers: int = 2, app: str = "bench.wsgi:app", root: Path = ROOT
) -> Iterator[str]:
    """Serve ``app`` (bench/wsgi.py's) on a free port of 127.0.0.1; yields its base URL.

    ``root`` is the checkout served (another one compares two versions of the code).
    """
    with serve(database_url, workers, app, root) as served:
        yield served.base


@contextmanager
def serve(
    database_url: str, workers: int = 2, app: str = "bench.wsgi:app", root: Path = ROOT
) -> Iterator[Served]:
    """:func:`gunicorn`, yielding the server's base URL and process id."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "SITE_URL": base,
        # The bench app has no rate limits (bench/wsgi.py); gunicorn.conf.py reads the
        # environment's Config, and would otherwise warn that limits count per worker.
        "RATELIMIT_ENABLED": "false",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
        f"127.0.0.1:{port}", "--log-level", "warning", app,
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=root, env=env, start_new_session=True)
    try:
        _wait_until_up(base + "/healthz", server, timeout=60)
        yield Served(base, server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  (our own 127.0.0.1 URL)
                return
        except OSError:  # not listening yet, or still booting
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def login(base: str, username: str | None) -> str:
    """Log in through the real form; returns the ``Cookie`` header value of the session.

    Nobody (``None``) gets an empty value: no cookie at all.
    """
    if username is None:
        return ""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/auth/login", timeout=30) as response:
        token = csrf_token(response.read().decode())
    form = {"csrf_token": token, "username": username, "password": PASSWORD}
    opener.open(base + "/auth/login", urllib.parse.urlencode(form).encode(), timeout=30).close()
    cookies = {cookie.name: cookie.value for cookie in jar}
    return f"session={cookies['session']}"


def fetch(url: str, cookie: str) -> tuple[int, str]:
    """GET ``url`` with the session cookie, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def run_wrk(url: str, cookie: str, seconds: int, connections: int, threads: int = 2) -> Load:
    """Load ``url`` with wrk for ``seconds``."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(LUA), *(["-H", f"Cookie: {cookie}"] if cookie else []), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)
