"""What the tests share besides fixtures: the test settings, a client that fills forms as a
browser does, running requests at once, reading pages, real servers (SMTP, PostgreSQL, Redis,
gunicorn) and reading the application's own source.

Fixtures are in ``tests/conftest.py``; test modules import helpers from here only.
"""

import ast
import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import User
from app.models.types import utcnow
from config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
# The site's address in tests: not the test client's host (localhost), so every emailed link
# shows that it was built from SITE_URL and not from the request.
SITE_URL = "https://chirp.example"
# The xdist worker running this process ("gw0", "gw1"...), or "" in a serial run.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database_url(url: str, worker: str) -> str:
    """The database URL a test process uses: ``url`` itself in a serial run (and for SQLite, in
    memory and so private to the process already); in an xdist worker on a server, a database of
    that worker's own, named after ``url``'s with the worker id appended (``chirp_test_gw1``, or
    ``chirp_gw1.db`` for a SQLite file), so that workers never empty or rebuild each other's
    tables. :func:`create_database` makes a server's one."""
    parsed = sa.make_url(url)
    if not worker or parsed.database in (None, "", ":memory:"):
        return url
    if parsed.get_backend_name() == "sqlite":  # a file: a file of the worker's own beside it
        path = Path(parsed.database)
        database = str(path.with_name(f"{path.stem}_{worker}{path.suffix}"))
    else:
        database = f"{parsed.database}_{worker}"
    return parsed.set(database=database).render_as_string(hide_password=False)


def create_database(url: str) -> None:
    """Create ``url``'s PostgreSQL database on its server unless it exists (CREATEDB needed)."""
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                name = admin.dialect.identifier_preparer.quote(parsed.database)
                connection.execute(sa.text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()


TEST_DATABASE_URL = worker_database_url(
    os.environ.get("TEST_DATABASE_URL", "sqlite://"), XDIST_WORKER
)
IN_MEMORY = TEST_DATABASE_URL == "sqlite://"
# Who can be on the other end of a request, for permission tests: nobody logged in, a plain
# user, a moderator, an admin, and someone suspended after logging in (whose session must end).
PERSONAS = ("anonymous", "user", "moderator", "admin", "suspended")
TIMEOUT = 10  # seconds; a request that waits longer has deadlocked


class TestConfig(Config):
    """Settings for the test suite."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SITE_URL = SITE_URL
    SQLALCHEMY_DATABASE_URI = TEST_DATABASE_URL
    POSTS_PER_PAGE = 3
    # Small home feeds, and a low fanout limit: every test that posts or follows goes through
    # trimming, horizons and accounts merged at page time (app/models/feed.py).
    HOME_FEED_SIZE = 6
    HOME_FEED_FANOUT_LIMIT = 3
    # Real hashing, but cheap: the suite creates hundreds of users.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Tests that exercise limits switch them on themselves.
    RATELIMIT_ENABLED = False
    # SQLite's own checkpoints (a test app's file database would get a thread per app);
    # tests/platform/test_database.py turns them on.
    SQLITE_CHECKPOINT_SECONDS = 0


class RateLimitedConfig(TestConfig):
    """Test settings with rate limits on, for tests marked ``rate_limits``."""

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


def empty_all_tables() -> None:
    """Delete every row and reset id sequences, so each test starts from nothing."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.exec_driver_sql(_postgresql_emptying(db.engine.dialect))
    else:
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            # AUTOINCREMENT tables (post) keep their last id here, past a DELETE.
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


def _postgresql_emptying(dialect: sa.Dialect) -> str:
    """One statement that empties every table of the models on PostgreSQL and restarts their
    id sequences, as ``TRUNCATE ... RESTART IDENTITY CASCADE`` does, but cheaply.

    TRUNCATE gives each of the 21 tables and their indexes new files: 45-90 ms of the server's
    CPU per test, more than most tests themselves (2026-12-05). A superuser (CI's throwaway
    server) deletes the rows instead, with ``session_replication_role = replica`` so that, as
    under TRUNCATE, no trigger runs (the count and feed triggers would write into tables already
    emptied) and foreign keys are not checked row by row; the sequences a test advanced go back
    to their start. Anyone else truncates as before.
    """
    # Only the models' own table names, quoted, go into the text.
    quote = dialect.identifier_preparer.quote
    tables = [quote(table.name) for table in db.metadata.sorted_tables]
    deletes = " ".join(f"DELETE FROM {name};" for name in tables)  # noqa: S608
    oids = ", ".join(f"'{name}'::regclass" for name in tables)
    return f"""DO $$
DECLARE sequence record;
BEGIN
  IF current_setting('is_superuser') <> 'on' THEN
    TRUNCATE {", ".join(tables)} RESTART IDENTITY CASCADE;
    RETURN;
  END IF;
  SET LOCAL session_replication_role = replica;
  {deletes}
  FOR sequence IN
    SELECT s.seqrelid::regclass AS name, s.seqstart AS start FROM pg_sequence s
    JOIN pg_depend d ON d.objid = s.seqrelid AND d.classid = 'pg_class'::regclass
      AND d.refclassid = 'pg_class'::regclass AND d.refobjid IN ({oids})
    WHERE pg_sequence_last_value(s.seqrelid) IS NOT NULL
  LOOP
    PERFORM setval(sequence.name, sequence.start, false);
  END LOOP;
END $$"""  # noqa: S608


# Pages and forms


CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
PERSON = re.compile(r'<li class="person">\s*<img [^>]*>\s*<a href="/user/(\w+)">')


def csrf_token_from(page: str) -> str:
    """The CSRF token embedded in a rendered page."""
    match = CSRF_FIELD.search(page)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def refused_form_page(response, message: str, *kept: str, max_wait: int = 3600) -> str:
    """The page of a form refused over a rate limit: a 429 with ``Retry-After`` that shows
    ``message`` and keeps each of the ``kept`` snippets of what was typed. Returns the page."""
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= max_wait
    page = response.get_data(as_text=True)
    assert f"{message}. Please wait" in page
    for snippet in kept:
        assert snippet in page
    return page


def assert_secure_headers(response) -> None:
    """The response carries the headers every response must (app/web/security_headers.py)."""
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def people_on(page: str) -> list[str]:
    """The names listed on a page of people (followers, following, search), in order."""
    return PERSON.findall(page)


def link(page: str, rel: str) -> str | None:
    """The pager's ``prev`` or ``next`` URL, if there is one."""
    match = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
    return html.unescape(match.group(1)) if match else None


def walk(client, url: str, rel: str = "next") -> list[list[str]]:
    """Every page of people from ``url`` on, following the ``rel`` links: the names on each."""
    pages = []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(people_on(page))
        url = link(page, rel)
    return pages


class FormClient:
    """A test client that submits forms the way a browser does, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def submit(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        """GET ``page`` (default ``url``), then POST ``data`` to ``url`` with the page's token."""
        html = self.client.get(page or url).get_data(as_text=True)
        payload = {"csrf_token": csrf_token_from(html), **(data or {})}
        return self.client.post(url, data=payload, **kwargs)


# Login sessions, from the browser's side

CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)


def browser(app, agent: str = CHROME_ON_LINUX, address: str = "203.0.113.7") -> FormClient:
    """A client that sends ``agent`` as its User-Agent from ``address``."""
    client = FormClient(app.test_client())
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    return client


def log_in(client: FormClient, username: str, remember: bool = False) -> FormClient:
    """Log ``client`` in through the form, ticking "Remember me" if asked."""
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember_me"] = "y"
    assert client.submit("/auth/login", data).status_code == 302
    return client


def is_logged_in(client: FormClient) -> bool:
    """True if ``client`` gets its home page rather than the way to the login page."""
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


# Requests at once


def at_once(*calls: Callable):
    """Run each call in a thread of its own; return their results in order, or raise the first
    exception one of them raised."""
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable) -> None:
        try:
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    if errors:
        raise errors[0]
    return results


def second_waits_for_first(first: sa.TextClause, second: sa.TextClause, params: dict) -> None:
    """Run ``first`` on a connection, then ``second`` on another while the first is not
    committed yet: the second must wait for the first to commit, then succeed (the database's
    locks at work, e.g. a stored count's trigger against a concurrent change)."""
    engine = db.engine  # the thread has no app context
    failures: list[BaseException] = []

    def then() -> None:
        try:
            with engine.begin() as connection:
                connection.execute(second, params)
        except BaseException as failure:
            failures.append(failure)

    with engine.connect() as holder:
        holder.execute(first, params)
        waiting = threading.Thread(target=then)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # it waits for the first to commit
        holder.commit()
        waiting.join(TIMEOUT)
        assert not waiting.is_alive()
    assert failures == []
    db.session.expire_all()


def wait_before(monkeypatch, owner: type, name: str, step: Callable[[], object]) -> None:
    """Make ``owner.name`` run ``step`` first (in the calling request's thread)."""
    original = getattr(owner, name)

    def patched(self, *args, **kwargs):
        step()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, patched)


def add_users(*names: str) -> list[User]:
    """Create and commit users with :data:`PASSWORD` and a confirmed address."""
    users = [
        User(username=name, email=f"{name}@example.com", email_confirmed_at=utcnow())
        for name in names
    ]
    for user in users:
        user.set_password(PASSWORD)
    db.session.add_all(users)
    db.session.commit()
    return users


def logged_in(app, username: str) -> FormClient:
    """A fresh client logged in as ``username`` through the login form."""
    client = FormClient(app.test_client())
    response = client.submit("/auth/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# Email

LINK = re.compile(r"https?://\S+")


class Mailbox:
    """aiosmtpd handler: every delivered message, parsed, in order of arrival.

    ``site_url`` is the app's ``SITE_URL``, which every link in a message must start with.
    """

    def __init__(self, site_url: str = ""):
        self.site_url = site_url
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server, _session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def last(self) -> EmailMessage:
        """The newest message; fails the test if none arrived."""
        assert self.messages, "no email was delivered"
        return self.messages[-1]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text part."""
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The HTML part."""
        return message.get_body(("html",)).get_content()

    def link(self, message: EmailMessage | None = None) -> str:
        """The one link in a message's text part, as a path on this site (it must be on
        ``site_url``)."""
        message = message or self.last()
        links = LINK.findall(self.text(message))
        assert len(links) == 1, f"expected one link, found {links}"
        assert links[0].startswith(f"{self.site_url}/"), f"{links[0]} is not on {self.site_url}"
        return links[0].removeprefix(self.site_url)


class LoopbackSMTP(Controller):
    """Listens on 127.0.0.1 on a free port (``port=0``), found once the server is up.

    ``ssl_context`` makes it speak TLS from the first byte; ``tls_context`` offers STARTTLS.
    """

    def __init__(self, handler, ssl_context=None, tls_context=None):
        smtp_options = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
        super().__init__(
            handler, hostname="127.0.0.1", port=0, ssl_context=ssl_context, **smtp_options
        )

    def _trigger_server(self):
        # The base class connects to self.port to check the server answers: learn it first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


# Real servers that tests start, stop and start again themselves:
# - PostgresServer: a throwaway PostgreSQL (as ``.ci/postgres.sh`` starts one) that a test may
#   stop under the app, to see what a database outage looks like, and start again.
# - RedisServer: Debian's ``redis-server`` on a free port, the shared rate-limit store.
# - gunicorn(): Chirp served as in production, by several worker processes.
# - Browser: an HTTP client with cookies that fills in forms, for those servers.

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server")


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
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=log,
            start_new_session=True,
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
        return self.request(path, {"csrf_token": csrf_token_from(page), **data})

    def cookie(self, name: str) -> str | None:
        """The value of this browser's cookie ``name``, if it has one."""
        return next((c.value for c in self.cookies if c.name == name), None)


# The application's own source, for tests that must know every place a rule is used.

APP_DIR = PROJECT_ROOT / "app"


class _CallFinder(ast.NodeVisitor):
    """Collects the innermost function around each call of one function name."""

    def __init__(self, called: str):
        self.called = called
        self.stack: list[str] = []
        self.callers: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == self.called:
            self.callers.add(self.stack[-1] if self.stack else "<module>")
        self.generic_visit(node)


def callers_of(function: str) -> set[str]:
    """Names of the functions in ``app/`` that call ``function`` (by its bare or dotted name).

    A test that walks every view using a rule compares its list with this one, so a new use of
    the rule fails that test until it is added to the walk.
    """
    finder = _CallFinder(function)
    for path in APP_DIR.rglob("*.py"):
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return finder.callers


@contextmanager
def missing_tables_made(*tables: sa.Table) -> Iterator[list[sa.Table]]:
    """Create, empty, those of ``tables`` the database lacks, and the columns it lacks of
    those it has (with their server defaults), for a block that reads through today's queries
    at an older revision (a later migration adds them); yield the tables made and drop them
    and the columns after."""
    with db.engine.begin() as connection:
        inspector = sa.inspect(connection)
        made = [table for table in tables if not inspector.has_table(table.name)]
        for table in made:
            table.create(connection)
        added = []
        for table in tables:
            if table in made:
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    definition = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
                    connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {definition}")
                    added.append((table.name, column.name))
    try:
        yield made
    finally:
        if made or added:
            db.session.rollback()  # its reads end before the tables go
            with db.engine.begin() as connection:
                for table in made:
                    table.drop(connection)
                for table_name, column in added:
                    connection.exec_driver_sql(f"ALTER TABLE {table_name} DROP COLUMN {column}")
