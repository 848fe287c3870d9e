"""How login sessions are kept: what the table stores, how long a session lasts, what each
request costs and writes, and how the table is kept small."""

import sqlite3
from datetime import timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from app.account.devices import describe_device
from app.models import User, UserSession
from app.models import accounts as account_lookups
from app.models import sessions as session_rows
from app.models.types import utcnow
from app.web import sessions as web_sessions
from tests.helpers import (
    CHROME_ON_LINUX,
    FIREFOX_ON_WINDOWS,
    PASSWORD,
    FormClient,
    browser,
    csrf_token_from,
    is_logged_in,
    log_in,
    wait_before,
)


@pytest.fixture
def clock(monkeypatch):
    """Moves the sessions' idea of now: ``clock.advance(hours=2)``."""

    class Clock:
        offset = timedelta(0)

        def now(self):
            return utcnow() + self.offset

        def advance(self, **how_long) -> None:
            self.offset += timedelta(**how_long)

    clock = Clock()
    for module in (web_sessions, session_rows, account_lookups):
        monkeypatch.setattr(module, "utcnow", clock.now)
    return clock


def key_of(client: FormClient) -> str:
    """The session key in ``client``'s session cookie."""
    with client.session_transaction() as session:
        return session["_user_id"]


def rows(db, user: User) -> list[UserSession]:
    """``user``'s session rows as the database has them now, oldest login first."""
    db.session.expire_all()
    query = sa.select(UserSession).where(UserSession.user_id == user.id)
    return db.session.scalars(query.order_by(UserSession.created_at)).all()


def test_the_database_keeps_only_a_hash_of_the_secret(app, db, alice):
    client = log_in(browser(app), "alice")
    session_id, _, secret = key_of(client).partition(":")
    (row,) = rows(db, alice)
    assert row.id == session_id
    assert len(secret) >= 43  # 32 random bytes
    assert secret not in str([getattr(row, column.key) for column in sa.inspect(UserSession).c])


def test_a_real_session_id_with_a_wrong_secret_is_refused(app, db, alice):
    session_id = key_of(log_in(browser(app), "alice")).partition(":")[0]
    forger = FormClient(app.test_client())
    for key in (f"{session_id}:guessed", f"{session_id}:", session_id, f"{alice.id}:x", ""):
        with forger.session_transaction() as session:
            session["_user_id"] = key
        assert not is_logged_in(forger), key


def test_a_session_without_remember_me_ends_once_idle(app, db, alice, clock):
    client = log_in(browser(app), "alice")
    clock.advance(hours=23)
    assert is_logged_in(client)  # and this request moves the end on
    clock.advance(hours=23, minutes=59)
    assert is_logged_in(client)
    clock.advance(hours=24, minutes=1)
    assert not is_logged_in(client)


def test_the_idle_time_is_a_setting(app, db, alice, clock):
    app.config["SESSION_IDLE_MINUTES"] = 30
    client = log_in(browser(app), "alice")
    clock.advance(minutes=29)
    assert is_logged_in(client)
    clock.advance(minutes=31)
    assert not is_logged_in(client)


def test_remember_me_lasts_its_lifetime_idle_or_not(app, db, alice, clock):
    app.config["SESSION_LIFETIME_DAYS"] = 30
    client = log_in(browser(app), "alice", remember=True)
    expires = client.get_cookie("remember_token").expires
    assert abs(expires - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    (row,) = rows(db, alice)
    assert abs(row.expires_at - (row.created_at + timedelta(days=30))) < timedelta(seconds=1)
    clock.advance(days=20)
    assert is_logged_in(client)  # twenty idle days
    clock.advance(days=9, hours=23)
    assert is_logged_in(client)
    clock.advance(hours=2)
    assert not is_logged_in(client)


def test_last_activity_and_its_place_are_written_at_most_once_a_minute(app, db, alice, clock):
    client = log_in(browser(app, CHROME_ON_LINUX, "203.0.113.7"), "alice")
    (row,) = rows(db, alice)
    session_id, logged_in = row.id, row.last_seen
    client.environ_base.update(HTTP_USER_AGENT=FIREFOX_ON_WINDOWS, REMOTE_ADDR="198.51.100.4")
    clock.advance(seconds=50)
    assert is_logged_in(client)
    (row,) = rows(db, alice)
    assert (row.last_seen, row.ip_address, row.user_agent) == (
        logged_in,
        "203.0.113.7",
        CHROME_ON_LINUX,
    )
    clock.advance(seconds=20)
    assert is_logged_in(client)
    (row,) = rows(db, alice)
    assert row.last_seen - logged_in >= timedelta(seconds=70)
    assert (row.ip_address, row.user_agent) == ("198.51.100.4", FIREFOX_ON_WINDOWS)
    assert row.id == session_id  # the same session: nothing but the activity changed


def test_an_overlong_user_agent_is_cut_to_fit(app, db, alice):
    log_in(browser(app, "A" * 2000), "alice")
    (row,) = rows(db, alice)
    assert row.user_agent == "A" * session_rows.AGENT_MAX_LENGTH


def test_a_logged_in_page_loads_session_user_and_roles_in_one_statement(
    app, db, make_staff, client_for, statements
):
    make_staff("mod", "moderator")
    client = client_for("mod")
    db.session.expunge_all()
    statements.clear()
    page = client.get("/healthz")
    assert page.status_code == 200
    assert len(statements) == 1
    assert "user_session" in statements[0]
    assert "role" in statements[0]


def test_an_ended_session_is_looked_up_once_then_forgotten(app, db, alice, statements):
    client = log_in(browser(app), "alice", remember=True)
    alice.end_sessions()
    db.session.commit()
    db.session.expunge_all()
    statements.clear()
    response = client.get("/healthz")
    # The session cookie and the remember-me cookie name the same session: one look-up.
    assert len(statements) == 1
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "remember_token=;" in cookies
    statements.clear()
    client.get("/healthz")
    assert statements == []


def test_logging_in_cleans_up_expired_sessions_a_batch_at_a_time(
    app, db, alice, bob, clock, monkeypatch
):
    monkeypatch.setattr(session_rows, "PRUNE_BATCH", 3)
    for _ in range(5):
        log_in(browser(app), "bob")
    bobs_remembered = log_in(browser(app), "bob", remember=True)
    clock.advance(days=2)  # bob's plain sessions have all been idle too long
    log_in(browser(app), "alice")
    assert len(rows(db, bob)) == 3  # 5 expired, 3 deleted
    log_in(browser(app), "alice")
    assert [row.remember for row in rows(db, bob)] == [True]
    assert is_logged_in(bobs_remembered)
    assert len(rows(db, alice)) == 2


def test_an_account_keeps_its_most_recently_used_sessions(app, db, alice, clock, monkeypatch):
    monkeypatch.setattr(session_rows, "MAX_SESSIONS_PER_USER", 3)
    browsers = []
    for _ in range(3):
        browsers.append(log_in(browser(app), "alice", remember=True))
        clock.advance(minutes=2)
    assert is_logged_in(browsers[0])  # the first is now the most recently used
    clock.advance(minutes=2)
    browsers.append(log_in(browser(app), "alice", remember=True))
    assert len(rows(db, alice)) == 3
    assert [is_logged_in(b) for b in browsers] == [True, False, True, True]


def test_the_last_login_is_the_login_forms_not_a_renewal(app, db, bob, make_staff, clock):
    bobs = log_in(browser(app), "bob")
    db.session.refresh(bob)
    logged_in = bob.last_login_at
    clock.advance(minutes=5)
    bob.grant_role("moderator")
    db.session.commit()
    assert is_logged_in(bobs)  # renewed
    db.session.refresh(bob)
    assert bob.last_login_at == logged_in


def test_a_session_ended_while_its_renewal_is_due_stays_ended(app, db, bob, monkeypatch):
    bobs = log_in(browser(app), "bob")
    bob.grant_role("moderator")
    bob.last_seen = utcnow() - timedelta(minutes=5)
    db.session.commit()

    def logged_out_elsewhere() -> None:
        bob.end_sessions()

    # Bob's request has loaded his session; another request ends it before the renewal.
    wait_before(monkeypatch, User, "touch_last_seen", logged_out_elsewhere)
    assert bobs.get("/").status_code == 200
    monkeypatch.undo()
    assert rows(db, bob) == []
    assert not is_logged_in(bobs)


def test_roles_granted_from_the_command_line_renew_sessions(app, db, bob, runner):
    bobs = log_in(browser(app), "bob")
    before = key_of(bobs)
    assert runner.invoke(args=["users", "grant", "bob", "moderator"]).exit_code == 0
    assert is_logged_in(bobs)
    assert key_of(bobs) != before
    thief = FormClient(app.test_client())
    with thief.session_transaction() as session:
        session["_user_id"] = before
    assert not is_logged_in(thief)


@pytest.mark.parametrize("session_id", ["\x00", "x" * 200, "a:b", "ümlaut", "..."])
def test_odd_session_ids_in_the_url_are_no_session(app, alice, session_id):
    client = log_in(browser(app), "alice")
    response = client.submit(f"/account/sessions/{session_id}/end", page="/account/")
    assert response.headers["Location"] == "/account/"
    assert "That session had already ended." in client.get("/account/").get_data(as_text=True)
    assert is_logged_in(client)


def test_the_settings_page_costs_two_statements(app, db, alice, statements):
    client = log_in(browser(app), "alice")
    client.get("/account/")  # the once-a-minute writes, done
    db.session.expunge_all()
    statements.clear()
    assert client.get("/account/").status_code == 200
    assert len(statements) == 2  # the session with the user, the list of sessions


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (CHROME_ON_LINUX, "Chrome on Linux"),
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
            "Opera on Linux",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPad",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0", "Unknown browser on Linux"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_devices_are_named_in_plain_words(agent, words):
    assert describe_device(agent) == words


@pytest.fixture
def next_commit_fails(monkeypatch):
    """``next_commit_fails()``: the next commit fails as on a full disk (SQLite's
    ``SQLITE_FULL``), every statement before it having gone through; later ones work."""
    real_commit = so.Session.commit

    def arm() -> None:
        def commit(self) -> None:
            monkeypatch.setattr(so.Session, "commit", real_commit)
            full = sqlite3.OperationalError("database or disk is full")
            full.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise sa.exc.OperationalError("COMMIT", None, full)

        monkeypatch.setattr(so.Session, "commit", commit)

    return arm


def test_a_logout_whose_commit_fails_leaves_the_browser_logged_in(
    app, db, alice, next_commit_fails
):
    # Not logged out in the browser while the session lives on in the database: the person
    # sees it failed, and can try again.
    client = log_in(browser(app), "alice", remember=True)
    copy = FormClient(app.test_client())
    copy.set_cookie("remember_token", client.get_cookie("remember_token").value)
    token = client.get("/").get_data(as_text=True)
    next_commit_fails()
    response = client.post("/auth/logout", data={"csrf_token": csrf_token_from(token)})
    assert response.status_code == 503
    assert len(rows(db, alice)) == 1
    assert is_logged_in(client)
    client.submit("/auth/logout", page="/")
    assert not is_logged_in(client)
    assert not is_logged_in(copy)


def test_a_password_change_whose_commit_fails_keeps_the_old_login(
    app, db, alice, next_commit_fails
):
    client = log_in(browser(app), "alice")
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    new = "a brand new password"
    data = {"csrf_token": token, "current_password": PASSWORD, "password": new, "password2": new}
    next_commit_fails()
    assert client.post("/account/password", data=data).status_code == 503
    assert is_logged_in(client)
    db.session.expire_all()
    assert alice.check_password(PASSWORD)


def test_a_renewal_whose_commit_fails_is_tried_again_later(app, db, bob, next_commit_fails):
    bobs = log_in(browser(app), "bob")
    before = key_of(bobs)
    bob.grant_role("moderator")
    db.session.commit()
    next_commit_fails()
    assert bobs.get("/").status_code == 200  # the page goes on (see app/outages.py)
    assert key_of(bobs) == before
    assert is_logged_in(bobs)  # and now it is renewed
    assert key_of(bobs) != before
    assert [row.renew for row in rows(db, bob)] == [False]
