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
