"""Shared fixtures: an app on a fresh database per test, clients, and data factories.

The database comes from ``TEST_DATABASE_URL`` (default: in-memory SQLite). CSRF protection
stays on, as in production: forms are posted through :class:`~tests.helpers.FormClient`, which
reads the token from the page first. Helpers other than fixtures are in ``tests/helpers.py``.
"""

import sqlite3
import uuid

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter
from app.models import Post, User
from app.models.types import utcnow
from app.web.memo import finish_refreshes
from tests.helpers import (
    IN_MEMORY,
    PASSWORD,
    PERSONAS,
    TEST_DATABASE_URL,
    XDIST_WORKER,
    FormClient,
    LoopbackSMTP,
    Mailbox,
    RateLimitedConfig,
    TestConfig,
    create_database,
    empty_all_tables,
)

SLOW_FIRST = (
    "tests/listings/test_timeline.py",
    "tests/commands/test_fake.py",
    "tests/platform/test_bench.py",
    "tests/e2e/test_accessibility.py",
    "tests/account/test_export.py",
    "tests/e2e/test_notifications.py",
    "tests/platform/test_database_outages.py",
    "tests/e2e/test_journeys.py",
    "tests/web/test_shared_rate_limits.py",
    "tests/races/test_fuzz.py",
    "tests/e2e/test_feed.py",
    "tests/e2e/test_sessions.py",
)
"""Modules with tests of 10 to 65 s (2026-12-05, both passes), longest first."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules of :data:`SLOW_FIRST` first, in that order, then the rest as collected.

    30-60 s tests near the end kept one worker busy while the other sat idle: in a 710 s
    SQLite pass only 1,220 of 1,420 worker-seconds were tests. Started first (and handed out
    one at a time, see ``pytest_configure``), the long tests are shared by both workers, and
    what is left at the end is short.
    """
    rank = {path: n for n, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST)))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, hand tests to workers one at a time as they free up (unless
    ``--maxschedchunk`` says otherwise).

    By default xdist starts each worker on a quarter of its share of the collection, in
    order: the first worker then got every test of :data:`SLOW_FIRST` and the other only
    short ones, and the first was still busy long after the other had finished (959 of 1,444
    worker-seconds of a 722 s SQLite pass were tests).
    """
    if getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1


class RequestClient(FlaskClient):
    """Flask's test client, each request in an app context of its own, as in production.

    Flask runs a request in the app context that is current if there is one: a test that holds
    one (to use the database itself) would share ``g`` (where Flask-Login keeps the user) and
    its database session with every request it makes.
    """

    def open(self, *args, **kwargs):
        """Make the request (and each redirect it follows) in a fresh app context."""
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def _compiled_templates(tmp_path_factory):
    """Templates compiled once per run (per worker), not once per test's app: compiling
    them was a third of a typical page test's time."""
    TestConfig.TEMPLATE_BYTECODE_DIR = str(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session", autouse=True)
def _url_builders_compiled_once():
    """Werkzeug compiles two Python functions per route to build its URLs, for every app: a
    fifth of a typical page test's time. Each depends only on the route's parts and defaults,
    so the suite compiles each once per run (per worker) and every test's app reuses them."""
    compile_builder = Rule._compile_builder
    compiled = {}

    def compile_once(rule: Rule, append_unknown: bool = True):
        defaults = sorted((rule.defaults or {}).items())
        converters = tuple(type(rule._converters.get(name)) for name, _ in defaults)
        key = (tuple(rule._trace), repr(defaults), converters, append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_once
    yield
    Rule._compile_builder = compile_builder


@pytest.fixture(scope="session", autouse=True)
def _worker_database():
    """In an xdist worker on a database server, create the worker's own database if missing
    (``tests.helpers.worker_database_url``: ``TEST_DATABASE_URL``'s name plus the worker id).
    A serial run uses ``TEST_DATABASE_URL`` as it is, and this does nothing."""
    if XDIST_WORKER and sa.make_url(TEST_DATABASE_URL).get_backend_name() != "sqlite":
        create_database(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def _schema(_worker_database):
    """Build the schema once per run (under xdist, once per worker).

    On a server database, in the worker's own database: tests then only empty the tables. In
    memory, where each test's app has a database of its own, it yields the bytes of an empty
    database with the schema (``sqlite3.Connection.serialize``), which each test's database
    starts as: loading them costs well under a millisecond, ``create_all`` 20-45 ms of CPU.
    """
    if IN_MEMORY:
        app = create_app(TestConfig)
        with app.app_context():
            _db.create_all()
            with _db.engine.connect() as connection:
                image = connection.connection.dbapi_connection.serialize()
            _db.engine.dispose()
        # Yielded outside the app context: one left pushed for the whole run would be the
        # current app of every CLI command a test invokes on an app of its own.
        yield image
        return
    app = create_app(TestConfig)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    yield
    with app.app_context():
        _db.drop_all()
        _db.engine.dispose()


class _KeptConnection(sqlite3.Connection):
    """The worker's in-memory SQLite connection, which the apps of its tests use in turn.

    SQLite keeps the statements it has prepared from one test to the next: preparing home's
    page statement takes it 0.3-0.45 s, which a connection of each test's own paid in every
    test that showed a home page (about a quarter of the time of tests/main and tests/web). Closing
    it is left to the end of the run. ``schema_version`` is the schema's as the run built it
    (``_schema``); ``_load_schema`` empties the database for each test.
    """

    schema_version = 0

    def close(self) -> None:
        """Keep the connection open for the next test (its app's engine "closes" it)."""

    def create_function(self, name, narg, func, *, deterministic=False) -> None:
        """Register a function only the first time: registering it again would discard every
        prepared statement, and SQLAlchemy registers ``regexp`` on each engine's first
        connection (the same function each time)."""
        registered = self.__dict__.setdefault("registered", set())
        if (name, narg) not in registered:
            super().create_function(name, narg, func, deterministic=deterministic)
            registered.add((name, narg))


@pytest.fixture(scope="session")
def _kept_connection(_schema):
    """The :class:`_KeptConnection` of this worker, when tests run on in-memory SQLite."""
    if not IN_MEMORY:
        yield None
        return
    connection = sqlite3.connect(
        ":memory:", factory=_KeptConnection, check_same_thread=False, cached_statements=512
    )
    connection.deserialize(_schema)
    connection.schema_version = connection.execute("PRAGMA schema_version").fetchone()[0]
    yield connection
    sqlite3.Connection.close(connection)


@pytest.fixture(scope="session")
def _worker_engine(_kept_connection):
    """The database engine that the apps of this worker's tests share (see ``app``).

    SQLAlchemy keeps compiled statements per engine, and an engine of each test's own compiled
    every statement again: a quarter of the time of tests/web/test_open_redirects.py. On
    PostgreSQL the shared engine's pooled connections also keep their prepared statements.
    """
    engines: dict = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


def _create_app_on(engines: dict, config: type):
    """``create_app(config)``, with the engine of ``engines`` for its database URL (made on
    first use)."""
    make_engine = _db._make_engine

    def shared_engine(bind_key, options, app):
        key = (bind_key, str(options["url"]))
        if key not in engines:
            engines[key] = make_engine(bind_key, options, app)
        return engines[key]

    _db._make_engine = shared_engine
    try:
        return create_app(config)
    finally:
        del _db._make_engine


@pytest.fixture
def app(_schema, _kept_connection, _worker_engine, request, tmp_path):
    """A Chirp app bound to an empty database, emptied again after the test.

    It holds no app context: a test that works with the database itself asks for ``db``, and
    each request of its test clients runs in an app context of its own (:class:`RequestClient`).
    Rate limits are off unless the test is marked ``@pytest.mark.rate_limits``; then every
    count starts from zero. A test marked ``@pytest.mark.debug_mode`` gets the app ``flask run``
    makes on a development checkout (debug mode, no mail server: the development outbox, kept
    in ``tmp_path``).
    """
    rate_limited = request.node.get_closest_marker("rate_limits") is not None
    config = RateLimitedConfig if rate_limited else TestConfig
    if request.node.get_closest_marker("debug_mode") is not None:
        config = type(
            "DebugConfig", (config,), {"DEBUG": True, "DEV_OUTBOX_DIR": str(tmp_path / "outbox")}
        )
    if IN_MEMORY:
        options = {**config.SQLALCHEMY_ENGINE_OPTIONS, "creator": lambda: _kept_connection}
        config = type("KeptConnectionConfig", (config,), {"SQLALCHEMY_ENGINE_OPTIONS": options})
    app = _create_app_on(_worker_engine, config)
    app.test_client_class = RequestClient
    if rate_limited:
        limiter.reset()
    if IN_MEMORY:
        with app.app_context():
            _load_schema(_schema)
    yield app
    if rate_limited:
        limiter.reset()
    finish_refreshes(app)  # e.g. the trending tags, when a test moved the clock a minute on
    if not IN_MEMORY:
        with app.app_context():
            empty_all_tables()
    # The engine stays, for the next test (``_worker_engine``); an in-memory database is
    # emptied by the next test.


def _load_schema(image: bytes) -> None:
    """Make the app's in-memory database an empty one with the schema of ``image`` (see
    ``_schema``).

    The engine keeps that one connection (SQLAlchemy's StaticPool for in-memory SQLite): the
    worker's :class:`_KeptConnection`. While its schema is the run's, its rows are deleted;
    only after a test changed the schema is the database replaced by ``image``. (Replacing it
    each time made SQLite prepare every statement again once a test had used the full-text
    index: the FTS5 table's connection goes with the old database.)
    """
    with _db.engine.connect() as connection:
        kept = connection.connection.dbapi_connection
        # Temporary tables (``flask fake``'s) live outside the database and its image.
        temporary = kept.execute("SELECT name FROM sqlite_temp_master WHERE type = 'table'")
        for (name,) in temporary.fetchall():
            kept.execute(f'DROP TABLE temp."{name}"')
        if kept.execute("PRAGMA schema_version").fetchone()[0] != kept.schema_version:
            kept.deserialize(image)
            return
    # The full-text index follows post_search by its triggers.
    empty_all_tables()


@pytest.fixture
def shared_app(_schema, tmp_path):
    """Like ``app``, on a database that every thread and connection sees.

    For tests with real concurrent connections: in-memory SQLite is private to one connection,
    so on SQLite this app uses a database file in ``tmp_path`` (WAL and all, as in production).
    """

    class SharedConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = (
            f"sqlite:///{tmp_path / 'shared.db'}" if IN_MEMORY else TEST_DATABASE_URL
        )

    app = create_app(SharedConfig)
    app.test_client_class = RequestClient
    with app.app_context():
        if IN_MEMORY:
            _db.create_all()
    yield app
    finish_refreshes(app)
    with app.app_context():
        if not IN_MEMORY:
            empty_all_tables()
        _db.engine.dispose()


@pytest.fixture
def shared_db(shared_app):
    """The database of ``shared_app``, for the test's own reads and writes (as ``db``)."""
    with shared_app.app_context():
        yield _db


@pytest.fixture
def empty_database_url(tmp_path):
    """URL of a brand-new database without tables, of the kind the suite runs on."""
    url = sa.make_url(TEST_DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"chirp_empty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(empty_database_url):
    """An app whose database has no tables yet (for migrations and ``flask status``)."""

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(MigrationConfig)
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database, for a test that reads or writes it itself: an app context held for the
    test, with a session of its own (requests have theirs)."""
    with app.app_context():
        yield _db


@pytest.fixture
def client(app):
    """An anonymous browser-like client."""
    return FormClient(app.test_client())


@pytest.fixture
def runner(app):
    """Runs the app's ``flask`` CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def mailbox(app):
    """A real SMTP server on 127.0.0.1 that the app sends to; its messages are in ``.messages``."""
    box = Mailbox(site_url=app.config["SITE_URL"])
    server = LoopbackSMTP(box)
    server.start()
    app.config.update(MAIL_SERVER=server.hostname, MAIL_PORT=server.port)
    yield box
    server.stop()


@pytest.fixture
def make_user(db):
    """Factory: ``make_user("alice")`` creates and commits a user with :data:`PASSWORD`.

    Users have confirmed their email address (so they may post) unless ``confirmed=False``.
    """

    def make(
        username: str, email: str | None = None, password: str = PASSWORD, confirmed: bool = True
    ) -> User:
        user = User(username=username, email=email or f"{username.lower()}@example.com")
        user.set_password(password)
        if confirmed:
            user.email_confirmed_at = utcnow()
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_post(db):
    """Factory: ``make_post(user, "text", when)`` creates and commits a post."""

    def make(author: User, body: str = "hello", timestamp=None) -> Post:
        post = Post(body=body, author=author, timestamp=timestamp or utcnow())
        db.session.add(post)
        db.session.commit()
        return post

    return make


@pytest.fixture
def make_reply(db):
    """Factory: ``make_reply(post, user, "text", when)`` creates and commits a reply to ``post``."""

    def make(parent: Post, author: User, body: str = "a reply", timestamp=None) -> Post:
        reply = parent.reply(author, body)
        reply.timestamp = timestamp or utcnow()
        db.session.commit()
        return reply

    return make


@pytest.fixture
def login(client):
    """Helper: ``login("alice")`` logs the client in through the real login form."""

    def do_login(username: str, password: str = PASSWORD):
        response = client.submit("/auth/login", {"username": username, "password": password})
        assert response.status_code == 302, "login failed"
        return response

    return do_login


@pytest.fixture
def alice(make_user):
    """A registered user."""
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    """Another registered user."""
    return make_user("bob")


@pytest.fixture
def alice_client(client, alice, login):
    """A client logged in as alice."""
    login("alice")
    return client


@pytest.fixture
def make_staff(make_user, db):
    """Factory: ``make_staff("mod", "moderator")`` creates a user holding that role."""

    def make(username: str, role: str) -> User:
        user = make_user(username)
        user.grant_role(role)
        db.session.commit()
        return user

    return make


@pytest.fixture
def as_persona(client, make_user, make_staff, login, db):
    """Factory: ``as_persona("moderator")`` returns the client acting as that kind of person.

    The user is called after the persona (``moderator``, ``admin``...); ``anonymous`` logs in
    nobody.
    """

    def become(persona: str) -> FormClient:
        assert persona in PERSONAS
        if persona == "anonymous":
            return client
        if persona in ("moderator", "admin"):
            user = make_staff(persona, persona)
        else:
            user = make_user(persona)
        login(persona)
        if persona == "suspended":
            user.suspended_at = utcnow()
            db.session.commit()
        return client

    return become


@pytest.fixture
def client_for(app):
    """Factory: ``client_for("bob")`` is another browser, logged in as that user."""

    def open_browser(username: str, password: str = PASSWORD) -> FormClient:
        browser = FormClient(app.test_client())
        response = browser.submit("/auth/login", {"username": username, "password": password})
        assert response.status_code == 302, "login failed"
        return browser

    return open_browser


@pytest.fixture
def statements(db):
    """The SQL statements run while the test goes on (cleared by the test as it likes)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)
