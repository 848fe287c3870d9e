"""Start-up rules: a private SECRET_KEY and the site's address in production, proxy headers
trusted only when told, and cookies a browser keeps to this site."""

import os
import subprocess
import sys

import pytest
from dotenv import dotenv_values
from flask import request

from app import create_app
from app.web.deployment import DEVELOPMENT_SECRET_KEY, PUBLIC_SECRET_KEYS, InsecureConfiguration
from config import Config, env_flag, env_int, env_list
from tests.helpers import PASSWORD, PROJECT_ROOT, SITE_URL, TestConfig


def config_with(**settings) -> type:
    """A production configuration (not debug, not testing) with ``settings``."""
    defaults = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SITE_URL": SITE_URL, "TRUSTED_HOSTS": []}
    return type("ProductionConfig", (Config,), {**defaults, **settings})


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        (DEVELOPMENT_SECRET_KEY, "is a published example"),
        ("change-me-to-a-long-random-string", "is a published example"),
    ],
)
def test_production_refuses_to_start_without_a_private_secret_key(monkeypatch, key, problem):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(InsecureConfiguration, match=f"SECRET_KEY {problem}"):
        create_app(config_with(SECRET_KEY=key))


def test_production_starts_with_a_private_secret_key(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app(config_with(SECRET_KEY="a-private-key-nobody-else-knows"))
    assert app.secret_key == "a-private-key-nobody-else-knows"


@pytest.mark.parametrize("url", [None, ""])
def test_production_refuses_to_start_without_a_site_url(monkeypatch, url):
    """Emailed links are built from SITE_URL, never from the request's Host header."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(InsecureConfiguration, match="SITE_URL is not set"):
        create_app(config_with(SECRET_KEY="a-private-key-nobody-else-knows", SITE_URL=url))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("chirp.example", "must start with https://"),
        ("ftp://chirp.example", "must start with https://"),
        ("https://", "has no host name"),
        ("https:///path", "has no host name"),
        ("https://chirp_example.com", "has no host name"),
        ("https://bücher.example", "has no host name"),
        ("https://chirp.example:0", "has no host name"),
        ("https://chirp.example:99999", "has a port that is not one"),
        ("https://chirp.example:https", "has a port that is not one"),
        ("https://chirp example", "contains spaces"),
        ("https://chirp.example/\n", "contains spaces or control characters"),
        ("https://admin:secret@chirp.example", "must be only the scheme"),
        ("https://chirp.example/?next=/", "must be only the scheme"),
        ("https://chirp.example/?", "must be only the scheme"),
        ("https://chirp.example/#top", "must be only the scheme"),
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_a_malformed_site_url_is_refused(monkeypatch, url, problem, debug):
    """Refused at start-up, with what is wrong, in debug mode too: it would be a broken link in
    every email, or a host no request could match."""
    if debug:
        monkeypatch.setenv("FLASK_DEBUG", "1")
    else:
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(InsecureConfiguration, match=f"SITE_URL '.*' {problem}"):
        create_app(config_with(SECRET_KEY="a-private-key-nobody-else-knows", SITE_URL=url))


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://chirp.example", "https://chirp.example"),
        ("https://Chirp.Example/", "https://Chirp.Example"),
        ("http://chirp.example:8080", "http://chirp.example:8080"),
        ("https://example.org/chirp/", "https://example.org/chirp"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_production_serves_the_site_url_host_and_the_extra_trusted_hosts(monkeypatch, url, kept):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app(
        config_with(
            SECRET_KEY="a-private-key-nobody-else-knows",
            SITE_URL=url,
            TRUSTED_HOSTS=["10.0.0.7", ".internal.example"],
        )
    )
    assert app.config["SITE_URL"] == kept
    host = kept.split("/")[2].split(":")[0].lower()
    assert app.config["TRUSTED_HOSTS"] == [host, "10.0.0.7", ".internal.example"]


def test_debug_mode_falls_back_to_the_development_site_url(monkeypatch):
    """`flask run` serves http://127.0.0.1:5000; localhost is fine in debug mode and tests."""
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(config_with(SITE_URL=None))
    assert app.config["SITE_URL"] == "http://127.0.0.1:5000"
    assert app.config["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_the_example_env_file_documents_site_url():
    example = (PROJECT_ROOT / ".env.example").read_text()
    assert "# SITE_URL=https://" in example
    assert "# TRUSTED_HOSTS=" in example


def test_env_list(monkeypatch):
    monkeypatch.setenv("CHIRP_TEST_LIST", " a.example, ,10.0.0.7 ,")
    assert env_list("CHIRP_TEST_LIST") == ["a.example", "10.0.0.7"]
    monkeypatch.delenv("CHIRP_TEST_LIST")
    assert env_list("CHIRP_TEST_LIST") == []


def test_both_kinds_of_mail_encryption_at_once_are_refused():
    with pytest.raises(ValueError, match="MAIL_USE_SSL and MAIL_USE_TLS are both set"):
        create_app(type("MailConfig", (TestConfig,), {"MAIL_USE_SSL": True, "MAIL_USE_TLS": True}))


@pytest.mark.parametrize("name", ["SESSION_LIFETIME_DAYS", "SESSION_IDLE_MINUTES"])
@pytest.mark.parametrize("value", [0, -5])
def test_session_lengths_that_are_not_positive_are_refused(name, value):
    with pytest.raises(ValueError, match=f"{name} is {value}: set it to a positive number"):
        create_app(type("SessionConfig", (TestConfig,), {name: value}))


def test_debug_mode_falls_back_to_the_development_key(monkeypatch):
    """What `flask run` / `flask db upgrade` get from .flaskenv on a developer's machine."""
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app(config_with(SECRET_KEY=None))
    assert app.debug
    assert app.secret_key == DEVELOPMENT_SECRET_KEY


def test_flaskenv_puts_flask_commands_in_debug_mode():
    assert dotenv_values(PROJECT_ROOT / ".flaskenv")["FLASK_DEBUG"] == "1"


def test_quick_start_migrates_without_a_secret_key(tmp_path):
    """README's quick start: `flask db upgrade` on a fresh checkout, no SECRET_KEY anywhere."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FLASK_DEBUG"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'quick-start.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "quick-start.db").exists()


def test_the_example_env_file_key_is_refused():
    assert dotenv_values(PROJECT_ROOT / ".env.example")["SECRET_KEY"] in PUBLIC_SECRET_KEYS


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("no", False)],
)
def test_env_flag(monkeypatch, value, expected):
    monkeypatch.setenv("CHIRP_TEST_FLAG", value)
    assert env_flag("CHIRP_TEST_FLAG") is expected


def test_env_flag_default(monkeypatch):
    monkeypatch.delenv("CHIRP_TEST_FLAG", raising=False)
    assert env_flag("CHIRP_TEST_FLAG", default=True) is True


def test_env_int_names_the_variable_when_wrong(monkeypatch):
    monkeypatch.setenv("PROXY_FIX_X_FOR", "one")
    with pytest.raises(ValueError, match="PROXY_FIX_X_FOR must be a whole number"):
        env_int("PROXY_FIX_X_FOR")


def where_am_i(config: type):
    """A client of an app with a view that reports the client address and scheme it sees."""
    app = create_app(config)
    app.add_url_rule("/whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_by_default():
    """Without a proxy, a client must not be able to choose its address (rate limits use it)."""
    client = where_am_i(TestConfig)
    response = client.get("/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.get_data(as_text=True) == "10.0.0.5 http"


def test_forwarded_headers_are_trusted_behind_a_configured_proxy():
    config = type("ProxiedConfig", (TestConfig,), {"PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1})
    client = where_am_i(config)
    response = client.get("/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.get_data(as_text=True) == "203.0.113.9 https"


def cookies_after_login(client) -> dict[str, str]:
    response = client.submit(
        "/auth/login", {"username": "alice", "password": PASSWORD, "remember_me": "y"}
    )
    assert response.status_code == 302
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = header.lower()
    return cookies


def test_session_cookies_are_http_only_and_same_site(client, alice):
    cookies = cookies_after_login(client)
    for name in ("session", "remember_token"):
        assert "httponly" in cookies[name]
        assert "samesite=lax" in cookies[name]
        assert "secure" not in cookies[name]  # plain HTTP in development


def test_session_cookies_are_secure_when_configured(app, client, alice):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    cookies = cookies_after_login(client)
    for name in ("session", "remember_token"):
        assert "; secure" in cookies[name]
