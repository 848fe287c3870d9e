"""Failed logins are limited per name tried, whatever address they come from (credential
stuffing), without letting a guesser lock the owner out of their own browsers."""

import pytest

from app.web.login_limit import KNOWN_BROWSER_COOKIE
from tests.helpers import PASSWORD, FormClient

REFUSAL = "Too many failed attempts to log in with this name"

pytestmark = pytest.mark.rate_limits


@pytest.fixture
def limited(app):
    """Three failed logins per name; the per-address limit out of the way."""
    app.config["RATELIMIT_LOGIN_ACCOUNT"] = "3 per hour"
    app.config["RATELIMIT_LOGIN"] = "1000 per minute"


class Addresses:
    """Browsers, each from an address of its own (a botnet's, or the owner's new phone)."""

    def __init__(self, app):
        self.app = app
        self.count = 0

    def browser(self) -> FormClient:
        self.count += 1
        client = FormClient(self.app.test_client())
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{self.count}"
        return client

    def log_in(self, username: str, password: str, browser: FormClient | None = None):
        """Send the login form from ``browser`` (default: a new one from a new address)."""
        browser = browser or self.browser()
        return browser.submit("/auth/login", {"username": username, "password": password})


@pytest.fixture
def addresses(app) -> Addresses:
    return Addresses(app)


def refused(response) -> bool:
    """True for the login form refused over the per-name limit (a 429 that says when)."""
    if response.status_code != 429:
        return False
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    return REFUSAL in response.get_data(as_text=True)


def test_failed_logins_are_limited_per_name_across_addresses(limited, addresses, alice):
    for _ in range(3):
        response = addresses.log_in("alice", "a wrong guess")
        assert response.status_code == 200
        assert "Invalid username or password." in response.get_data(as_text=True)
    # From yet another address, even with the right password, in any case.
    assert refused(addresses.log_in("alice", PASSWORD))
    assert refused(addresses.log_in("ALICE", "another guess"))


def test_a_name_without_an_account_is_limited_alike(limited, addresses):
    """The limit tells nobody whether an account has the name."""
    for _ in range(3):
        assert addresses.log_in("nobody", "a wrong guess").status_code == 200
    assert refused(addresses.log_in("nobody", "a wrong guess"))


def test_the_right_password_does_not_count(limited, addresses, alice):
    for _ in range(5):
        assert addresses.log_in("alice", PASSWORD).status_code == 302
    for _ in range(2):
        assert addresses.log_in("alice", "a wrong guess").status_code == 200
    assert addresses.log_in("alice", PASSWORD).status_code == 302


def test_a_username_and_its_address_count_apart(limited, addresses, alice):
    """One count for both would tell a guesser which address belongs to which name."""
    for _ in range(3):
        addresses.log_in("alice", "a wrong guess")
    assert refused(addresses.log_in("alice", "a wrong guess"))
    assert addresses.log_in("alice@example.com", PASSWORD).status_code == 302


def test_a_browser_that_logged_in_before_is_not_locked_out(limited, addresses, alice):
    own = addresses.browser()
    assert addresses.log_in("alice", PASSWORD, own).status_code == 302
    cookie = own.get_cookie(KNOWN_BROWSER_COOKIE, path="/auth/")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    own.submit("/auth/logout", page="/")
    for _ in range(3):  # someone else, from all over the place
        addresses.log_in("alice", "a wrong guess")
    assert refused(addresses.log_in("alice", PASSWORD))  # a browser new to the account waits
    # Her own browser: a typo is only a typo, and then she is in, by name or by address.
    assert addresses.log_in("alice", "a typo", own).status_code == 200
    assert addresses.log_in("alice@example.com", PASSWORD, own).status_code == 302


def test_a_browser_known_for_another_account_is_not_spared(limited, addresses, alice, bob):
    mallory = addresses.browser()
    assert addresses.log_in("bob", PASSWORD, mallory).status_code == 302
    mallory.submit("/auth/logout", page="/")
    for _ in range(3):
        assert addresses.log_in("alice", "a wrong guess", mallory).status_code == 200
    assert refused(addresses.log_in("alice", "a wrong guess", mallory))


def test_a_forged_known_browser_cookie_is_not_spared(limited, addresses, alice):
    forger = addresses.browser()
    forger.set_cookie(KNOWN_BROWSER_COOKIE, '["alice"]', path="/auth/")
    for _ in range(3):
        addresses.log_in("alice", "a wrong guess", forger)
    assert refused(addresses.log_in("alice", "a wrong guess", forger))


def test_resetting_the_password_makes_the_browser_known(limited, addresses, alice, mailbox):
    """The owner's way in on a new device while a guesser keeps the name locked."""
    for _ in range(3):
        addresses.log_in("alice", "a wrong guess")
    phone = addresses.browser()
    assert refused(addresses.log_in("alice", PASSWORD, phone))
    phone.submit("/account/reset-password", {"email": "alice@example.com"})
    link = mailbox.link(mailbox.last())
    new = "a brand new password"
    assert phone.submit(link, {"password": new, "password2": new}).status_code == 302
    assert addresses.log_in("alice", new, phone).status_code == 302
