"""Start-up rules for running Chirp for real: a secret key, sound mail settings, proxy trust."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (public on purpose: debug/testing only)
# Keys that are public (this file, .env.example) and so sign nothing safely.
PUBLIC_SECRET_KEYS = frozenset({DEVELOPMENT_SECRET_KEY, "change-me-to-a-long-random-string"})
PROXY_HEADERS = ("for", "proto", "host", "port", "prefix")


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


def configure_deployment(app: Flask) -> None:
    """Apply the start-up rules above to ``app``."""
    check_secret_key(app)
    check_mail_encryption(app)
    apply_proxy_fix(app)
