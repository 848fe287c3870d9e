"""Configuration read from the environment."""

import os

from dotenv import load_dotenv

basedir = os.path.abspath(os.path.dirname(__file__))
load_dotenv(os.path.join(basedir, ".env"))


def database_url(default: str = "sqlite:///chirp.db") -> str:
    """Return DATABASE_URL, accepting the ``postgres://`` spelling Heroku-style hosts use."""
    url = os.environ.get("DATABASE_URL") or default
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings for a real deployment; every value can come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    # A relative SQLite path lands in Flask's instance folder.
    SQLALCHEMY_DATABASE_URI = database_url()
    # A pooled connection may have died with a database restart or an idle timeout in between:
    # check it on checkout (a cheap round trip) rather than fail the request that draws it.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    POSTS_PER_PAGE = int(os.environ.get("POSTS_PER_PAGE", "25"))
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a hashing method name, not a secret)
    MAX_CONTENT_LENGTH = 64 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Rate limits: in memory per process by default; a shared store (redis://host:6379) makes
    # them hold across several worker processes.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # Outgoing email (password resets, address confirmations). With no MAIL_SERVER, messages are
    # written to the log instead of sent: enough for development, never for a real site.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").strip().lower() in ("1", "true", "yes", "on")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Chirp <no-reply@localhost>")
    MAIL_TIMEOUT = 10  # seconds to wait for the SMTP server before telling the user to retry

    # How long the links in account emails stay valid, in seconds.
    RESET_TOKEN_MAX_AGE = 60 * 60
    CONFIRM_TOKEN_MAX_AGE = 3 * 24 * 60 * 60
    EMAIL_CHANGE_TOKEN_MAX_AGE = 24 * 60 * 60
    # Each account email costs the site something and lands in somebody's inbox: limit them.
    # Password resets: per client address, and per address asked about.
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per hour")
    # Confirmation resends and email changes, per account.
    RATELIMIT_ACCOUNT_EMAIL = os.environ.get("RATELIMIT_ACCOUNT_EMAIL", "3 per hour")
    # Posts read per database round trip while streaming a data export.
    EXPORT_BATCH_SIZE = 1000
