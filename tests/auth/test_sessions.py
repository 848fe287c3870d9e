"""Logins end when they should, everywhere: a copied session or remember-me cookie stops
working once its session has ended (logout, a new password, a suspension, a deleted account, or
"log out" on the sessions list), and the CSRF secret changes whenever the login does.

Each test works the way an attacker would: it copies a browser's cookies into another client
before the session ends and tries them afterwards.
"""

import pytest

from app.models.types import utcnow
from tests.helpers import (
    CHROME_ON_LINUX,
    FIREFOX_ON_WINDOWS,
    PASSWORD,
    FormClient,
    browser,
    csrf_token_from,
    is_logged_in,
    log_in,
)

NEW_PASSWORD = "a completely new password"


def copies_of(app, client: FormClient) -> dict[str, FormClient]:
    """Other clients holding a copy of ``client``'s session cookie and of its remember-me
    cookie, each alone (a thief may have either)."""
    copies = {}
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        assert cookie is not None, f"{name} cookie missing"
        thief = FormClient(app.test_client())
        thief.set_cookie(name, cookie.value)
        copies[name] = thief
    return copies


def assert_all_refused(copies: dict[str, FormClient]) -> None:
    for name, thief in copies.items():
        assert not is_logged_in(thief), f"a copied {name} cookie still logs in"


@pytest.fixture
def victim(app, alice):
    """Alice's browser, logged in with "Remember me", and copies of both its cookies that
    work (checked) until her session ends."""
    client = log_in(browser(app), "alice", remember=True)
    copies = copies_of(app, client)
    for name, thief in copies.items():
        assert is_logged_in(thief), f"the copied {name} cookie should work before"
    return client, copies


def test_logging_out_ends_copies_of_the_session_cookie(app, alice):
    client = log_in(browser(app), "alice")
    copy = FormClient(app.test_client())
    copy.set_cookie("session", client.get_cookie("session").value)
    assert is_logged_in(copy)
    client.submit("/auth/logout", page="/")
    assert not is_logged_in(client)
    assert not is_logged_in(copy)


def test_logging_out_ends_copies_of_the_remember_me_cookie(app, victim):
    client, copies = victim
    client.submit("/auth/logout", page="/")
    assert_all_refused(copies)


def test_a_new_password_ends_copies_of_both_cookies(app, victim, client_for):
    _client, copies = victim
    elsewhere = client_for("alice")  # alice, changing it from another device
    data = {"current_password": PASSWORD, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert elsewhere.submit("/account/password", data).status_code == 302
    assert is_logged_in(elsewhere)
    assert_all_refused(copies)


def test_a_password_reset_ends_copies_of_both_cookies(app, victim, client, mailbox):
    _client, copies = victim
    client.submit("/account/reset-password", {"email": "alice@example.com"})
    link = mailbox.link()
    response = client.submit(link, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert_all_refused(copies)


def test_suspension_ends_copies_for_good(app, db, victim, make_staff, client_for):
    # Lifting the suspension must not bring old logins back to life.
    _client, copies = victim
    make_staff("mod", "moderator")
    mod = client_for("mod")
    mod.submit("/moderation/user/alice/suspend", {"reason": "spam"})
    assert_all_refused(copies)
    mod.submit("/moderation/user/alice/unsuspend", {"reason": "appeal upheld"})
    assert_all_refused(copies)


def test_disabling_from_the_command_line_ends_copies_for_good(app, victim, runner):
    _client, copies = victim
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert_all_refused(copies)
    assert runner.invoke(args=["users", "enable", "alice"]).exit_code == 0
    assert_all_refused(copies)


def test_deleting_the_account_ends_copies_of_both_cookies(app, victim, client_for):
    _client, copies = victim
    elsewhere = client_for("alice")
    assert elsewhere.submit("/account/delete", {"password": PASSWORD}).status_code == 302
    assert_all_refused(copies)


def other_session_form(page: str) -> str:
    """The action of the first "Log out" form of another session on the settings page."""
    marker = 'action="/account/sessions/'
    start = page.index(marker) + len('action="')
    return page[start : page.index('"', start)]


def test_logging_out_another_session_ends_it_and_its_copies(app, victim):
    client, copies = victim
    laptop = log_in(browser(app, FIREFOX_ON_WINDOWS, "198.51.100.4"), "alice")
    page = laptop.get("/account/").get_data(as_text=True)
    response = laptop.submit(other_session_form(page), page="/account/")
    assert response.headers["Location"] == "/account/"
    assert "That session is logged out." in laptop.get("/account/").get_data(as_text=True)
    assert not is_logged_in(client)
    assert_all_refused(copies)
    assert is_logged_in(laptop)


def test_logging_out_all_other_sessions_keeps_only_this_one(app, victim, bob):
    client, copies = victim
    phone = log_in(browser(app, FIREFOX_ON_WINDOWS, "198.51.100.4"), "alice")
    laptop = log_in(browser(app), "alice")
    bobs = log_in(browser(app), "bob")
    response = laptop.submit("/account/sessions/end-others", page="/account/")
    assert response.headers["Location"] == "/account/"
    assert "Your other sessions are logged out." in laptop.get("/account/").get_data(as_text=True)
    assert not is_logged_in(client)
    assert not is_logged_in(phone)
    assert_all_refused(copies)
    assert is_logged_in(laptop)
    assert is_logged_in(bobs)  # somebody else's sessions are not touched


def test_nobody_can_log_out_someone_elses_session(app, alice, bob):
    alices = log_in(browser(app), "alice")
    page = alices.get("/account/").get_data(as_text=True)
    assert 'action="/account/sessions/' not in page  # alone: nothing else to log out
    bobs = log_in(browser(app, FIREFOX_ON_WINDOWS), "bob")
    bobs_laptop = log_in(browser(app), "bob")
    action = other_session_form(bobs_laptop.get("/account/").get_data(as_text=True))
    response = alices.submit(action, page="/account/")
    assert response.headers["Location"] == "/account/"
    assert "That session had already ended." in alices.get("/account/").get_data(as_text=True)
    assert is_logged_in(bobs)


def test_session_buttons_need_a_csrf_token(app, victim):
    client, copies = victim
    laptop = log_in(browser(app), "alice")
    action = other_session_form(laptop.get("/account/").get_data(as_text=True))
    for url in (action, "/account/sessions/end-others"):
        assert laptop.post(url).status_code == 400
        assert laptop.get(url).status_code == 405
    assert is_logged_in(client)
    assert is_logged_in(copies["remember_token"])


def test_a_csrf_token_from_before_login_is_refused_after_it(app, alice):
    client = browser(app)
    before = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    data = {"csrf_token": before, "username": "alice", "password": PASSWORD}
    assert client.post("/auth/login", data=data).status_code == 302
    # Planted before login (say, by someone who set this browser's cookie), it must not let
    # them act as alice now: the logout button is the simplest thing to try.
    response = client.post("/auth/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert is_logged_in(client)
    after = csrf_token_from(client.get("/").get_data(as_text=True))
    assert after != before
    assert client.post("/auth/logout", data={"csrf_token": after}).status_code == 302


def test_a_csrf_token_from_before_logout_is_refused_after_it(app, alice):
    client = log_in(browser(app), "alice")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    data = {"csrf_token": token, "username": "alice", "password": PASSWORD}
    assert client.post("/auth/login", data=data).status_code == 400


def test_a_new_password_renews_this_browsers_session_and_csrf_secret(app, alice):
    client = log_in(browser(app), "alice")
    token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
    copy = FormClient(app.test_client())
    copy.set_cookie("session", client.get_cookie("session").value)
    data = {
        "csrf_token": token,
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    assert client.post("/account/password", data=data).headers["Location"] == "/account/"
    assert is_logged_in(client)
    assert not is_logged_in(copy)  # the cookie from before the change
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 400
    assert is_logged_in(client)


@pytest.mark.parametrize("change", ["grant", "revoke"])
def test_a_role_change_renews_the_session_of_its_holder(
    app, db, bob, make_staff, client_for, change
):
    if change == "revoke":
        bob.grant_role("moderator")
        db.session.commit()
    bobs = log_in(browser(app), "bob", remember=True)
    token = csrf_token_from(bobs.get("/").get_data(as_text=True))
    copies = copies_of(app, bobs)
    make_staff("boss", "admin")
    data = {"username": "bob", "role": "moderator", "reason": "trusted", change: change}
    assert client_for("boss").submit("/admin/", data).status_code == 302

    # Bob's next request gets a new session (and CSRF secret); the copies stay behind.
    assert is_logged_in(bobs)
    assert_all_refused(copies)
    assert bobs.post("/auth/logout", data={"csrf_token": token}).status_code == 400
    assert is_logged_in(bobs)
    assert ("/moderation/" in bobs.get("/").get_data(as_text=True)) == (change == "grant")
    # Once renewed, it stays: the next requests keep the same cookie.
    cookie = bobs.get_cookie("session").value
    bobs.get("/")
    assert bobs.get_cookie("session").value == cookie
    remembered = FormClient(app.test_client())
    remembered.set_cookie("remember_token", bobs.get_cookie("remember_token").value)
    assert is_logged_in(remembered)


def test_the_settings_page_lists_ones_sessions(app, alice, bob):
    laptop = log_in(browser(app, CHROME_ON_LINUX, "203.0.113.7"), "alice")
    log_in(browser(app, FIREFOX_ON_WINDOWS, "2001:db8::5"), "alice", remember=True)
    log_in(browser(app, FIREFOX_ON_WINDOWS, "198.51.100.99"), "bob")
    page = laptop.get("/account/").get_data(as_text=True)
    sessions = page[page.index('id="sessions-heading"') :]
    sessions = sessions[: sessions.index("</section>")]
    assert "Chrome on Linux" in sessions
    assert "Firefox on Windows" in sessions
    assert "203.0.113.7" in sessions
    assert "2001:db8::5" in sessions
    assert "198.51.100.99" not in sessions  # bob's
    assert sessions.count("This browser") == 1
    this = sessions[sessions.index("Chrome on Linux") :]
    assert this.index("This browser") < this.index("</li>")
    assert "Remembered until" in sessions  # the Firefox one ticked "Remember me"
    assert "Last active" in sessions
    assert sessions.count('action="/account/sessions/') == 2  # the other one, and all others
    assert "Log out all other sessions" in sessions


def test_the_last_login_shows_on_ones_own_profile_only(app, alice, bob):
    alices = log_in(browser(app), "alice")
    own = alices.get("/user/alice").get_data(as_text=True)
    assert "Last login" in own
    assert "just now" in own[own.index("Last login") :]
    bobs = log_in(browser(app), "bob")
    assert "Last login" not in bobs.get("/user/alice").get_data(as_text=True)
    assert "Last login" in bobs.get("/user/bob").get_data(as_text=True)


def test_a_suspended_account_stays_logged_out(app, db, alice):
    # Belt and braces: even where a suspension is set without the moderation page (a script,
    # the shell), no session of the account is let in.
    client = log_in(browser(app), "alice", remember=True)
    copies = copies_of(app, client)
    alice.suspended_at = utcnow()
    db.session.commit()
    assert not is_logged_in(client)
    assert_all_refused(copies)
