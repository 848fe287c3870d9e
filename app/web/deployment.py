"""Start-up rules for running Chirp for real: a secret key, the site's address, sound mail
settings, proxy trust."""

import re
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (public on purpose: debug/testing only)
# Keys that are public (this file, .env.example) and so sign nothing safely.
PUBLIC_SECRET_KEYS = frozenset({DEVELOPMENT_SECRET_KEY, "change-me-to-a-long-random-string"})
PROXY_HEADERS = ("for", "proto", "host", "port", "prefix")
# Where `flask run` serves: the site's address in debug mode and tests when SITE_URL is unset.
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"
# Names of this machine that debug mode and tests accept as well: the test client asks for
# `localhost`, the browser tests' server and the benchmark listen on 127.0.0.1.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
# A host name as Werkzeug's check of the Host header can match it: ASCII letters (an
# internationalised name in its xn-- form), digits, dots and hyphens.
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


class InsecureConfiguration(RuntimeError):
    """The app was asked to start in production with settings that would make it unsafe."""


def check_secret_key(app: Flask) -> None:
    """Refuse to start in production without a private ``SECRET_KEY``.

    Anyone who knows the key can forge sessions (log in as anybody) and CSRF tokens. In debug
    mode (``FLASK_DEBUG=1``, as ``.flaskenv`` sets for ``flask`` commands) and in tests a missing
    key is replaced by a fixed development key.
    """
    key = app.config.get("SECRET_KEY")
    if key and key not in PUBLIC_SECRET_KEYS:
        return
    if app.debug or app.testing:
        app.config["SECRET_KEY"] = key or DEVELOPMENT_SECRET_KEY
        return
    problem = "is not set" if not key else "is a published example value"
    raise InsecureConfiguration(
        f"SECRET_KEY {problem}. Set the SECRET_KEY environment variable (or .env) to a long "
        "random value, e.g. the output of: "
        "python3 -c 'import secrets; print(secrets.token_hex(32))'. "
        "For local development, run with FLASK_DEBUG=1 instead."
    )


def site_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as the site's address, or None if nothing is."""
    if any(char.isspace() or not char.isprintable() for char in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "has a port that is not one"
    if parts.scheme not in ("https", "http"):
        return "must start with https:// (or http://)"
    if not parts.hostname or not HOST_NAME.fullmatch(parts.hostname) or port == 0:
        return "has no host name (ASCII letters, digits, dots and hyphens, then perhaps a port)"
    if "@" in parts.netloc or parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must be only the scheme, the host (and port) and perhaps a path"
    return None


def check_site_url(app: Flask) -> None:
    """Require the site's address, ``SITE_URL``, in production, and trust only its host.

    Links in emails are built from it (``app/web/urls.py``), never from the request: the ``Host``
    header is whatever the client sent, so a password reset asked for with ``Host:
    evil.example`` would mail its owner a working link to that host. Requests naming any
    other host than SITE_URL's and ``TRUSTED_HOSTS`` get a 400 (Flask's ``TRUSTED_HOSTS``).
    Debug mode and tests fall back to :data:`DEVELOPMENT_SITE_URL` and also accept
    :data:`LOOPBACK_HOSTS`.
    """
    url = app.config.get("SITE_URL")
    development = app.debug or app.testing
    if not url:
        if not development:
            raise InsecureConfiguration(
                "SITE_URL is not set. Set the SITE_URL environment variable (or .env) to the "
                "address people reach this site at, e.g. https://chirp.example: links in "
                "emails are built from it. For local development, run with FLASK_DEBUG=1."
            )
        url = DEVELOPMENT_SITE_URL
    problem = site_url_problem(url)
    if problem:
        raise InsecureConfiguration(
            f"SITE_URL {url!r} {problem}. Set it to the address people reach this site at, "
            "e.g. https://chirp.example."
        )
    app.config["SITE_URL"] = url.rstrip("/")
    hosts = [urlsplit(url).hostname, *(app.config.get("TRUSTED_HOSTS") or ())]
    if development:
        hosts += LOOPBACK_HOSTS
    app.config["TRUSTED_HOSTS"] = list(dict.fromkeys(hosts))


def apply_proxy_fix(app: Flask) -> None:
    """Trust ``X-Forwarded-*`` headers as far as ``PROXY_FIX_X_*`` says (by default not at all).

    Behind one reverse proxy, ``PROXY_FIX_X_FOR=1`` makes the client's address (which the rate
    limits count by) the one the proxy saw, and ``PROXY_FIX_X_PROTO=1`` tells the app it is
    served over HTTPS. Without a proxy these must stay 0, or clients could pick their address.
    """
    hops = {f"x_{name}": app.config.get(f"PROXY_FIX_X_{name.upper()}", 0) for name in PROXY_HEADERS}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)


def check_mail_encryption(app: Flask) -> None:
    """Refuse contradictory mail settings: TLS from the start and STARTTLS exclude each other."""
    if app.config.get("MAIL_USE_SSL") and app.config.get("MAIL_USE_TLS"):
        raise ValueError(
            "MAIL_USE_SSL and MAIL_USE_TLS are both set. Use MAIL_USE_SSL for a server that "
            "speaks TLS from the start (usually port 465), or MAIL_USE_TLS for STARTTLS "
            "(usually port 587), not both."
        )


# Login session lengths: zero or less would end every session at once (or never, depending on
# the comparison), so they are refused rather than guessed at.
SESSION_LENGTHS = {"SESSION_LIFETIME_DAYS": "days", "SESSION_IDLE_MINUTES": "minutes"}


def check_session_lengths(app: Flask) -> None:
    """Refuse login session lengths that are not a positive number."""
    for name, unit in SESSION_LENGTHS.items():
        value = app.config[name]
        if value <= 0:
            raise ValueError(
                f"{name} is {value}: set it to a positive number of {unit}, or leave it unset "
                "for the default."
            )


def configure_deployment(app: Flask) -> None:
    """Apply the start-up rules above to ``app``."""
    check_secret_key(app)
    check_site_url(app)
    check_mail_encryption(app)
    check_session_lengths(app)
    apply_proxy_fix(app)
