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


def env_flag(name: str, default: bool = False) -> bool:
    """A yes/no setting: ``1``, ``true``, ``yes`` or ``on`` (any case) mean yes."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    """A comma-separated setting as a list, blanks dropped (unset: empty)."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def env_int(name: str, default: int = 0) -> int:
    """A whole-number setting, with an error that names the variable if it is not one."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


class Config:
    """Settings for a real deployment; every value can come from the environment."""

    # Required in production: create_app refuses to start without it (see app/web/deployment.py).
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # The address people reach the site at, e.g. https://chirp.example. Every link in an email
    # starts with it, and requests naming another host get a 400. Required in production too.
    SITE_URL = os.environ.get("SITE_URL")
    # Other host names requests may name (a load balancer's health check by address, another
    # name of the site), comma-separated; SITE_URL's host is added at start-up.
    TRUSTED_HOSTS = env_list("TRUSTED_HOSTS")
    # A relative SQLite path lands in Flask's instance folder.
    SQLALCHEMY_DATABASE_URI = database_url()
    # A pooled connection may have died with a database restart or an idle timeout in between:
    # check it on checkout (a cheap round trip) rather than fail the request that draws it.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # SQLite only: a thread of each worker copies the WAL back into the database this often,
    # so that requests do not (app/database.py); 0 leaves it to SQLite, inside commits.
    SQLITE_CHECKPOINT_SECONDS = float(os.environ.get("SQLITE_CHECKPOINT_SECONDS", "1"))
    # A directory for compiled templates, shared by every app a process makes: the test suite
    # (tests/conftest.py) sets one; a server makes one app per worker and needs none.
    TEMPLATE_BYTECODE_DIR = os.environ.get("TEMPLATE_BYTECODE_DIR")
    POSTS_PER_PAGE = int(os.environ.get("POSTS_PER_PAGE", "25"))
    # Post search, most relevant first: how many of the newest matches are ranked (each page
    # scores them all, so this bounds its cost; docs/performance.md has the figures).
    SEARCH_RELEVANCE_WINDOW = env_int("SEARCH_RELEVANCE_WINDOW", 250)
    # Home feeds (app/models/feed.py): rows kept per reader (deeper pages are read from the
    # posts), and the followers above which an account's posts are read at page time instead
    # of written into every follower's feed. Changes apply with `flask feed rebuild`.
    HOME_FEED_SIZE = env_int("HOME_FEED_SIZE", 400)
    HOME_FEED_FANOUT_LIMIT = env_int("HOME_FEED_FANOUT_LIMIT", 250)
    # Rendered post cards kept per worker process (about 1.5 kB each); see app/listings/cards.py.
    POST_CARD_CACHE_SIZE = int(os.environ.get("POST_CARD_CACHE_SIZE", "5000"))
    # Rendered page parts (the navigation per reader and place, ...) kept per worker process
    # (about 2 kB each); see app/web/fragments.py.
    FRAGMENT_CACHE_SIZE = int(os.environ.get("FRAGMENT_CACHE_SIZE", "10000"))
    # How often open pages ask for the unread notifications count (chirp-notifications.js); they
    # ask less often while hidden.
    NOTIFICATIONS_POLL_SECONDS = int(os.environ.get("NOTIFICATIONS_POLL_SECONDS", "60"))
    # Emails about replies and mentions, per person who asked for them.
    NOTIFICATION_EMAIL_LIMIT = os.environ.get("NOTIFICATION_EMAIL_LIMIT", "10 per hour")
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a hashing method name, not a secret)
    MAX_CONTENT_LENGTH = 64 * 1024
    # CSRF tokens last as long as the session they are bound to. Flask-WTF's default (an hour)
    # turned a post written in a tab left open into a "form expired" page, the text lost.
    WTF_CSRF_TIME_LIMIT = None
    # Logins live in the database (app/models/sessions.py). With "Remember me" one lasts this
    # many days, as its cookie does; without, it ends once idle for this many minutes.
    SESSION_LIFETIME_DAYS = env_int("SESSION_LIFETIME_DAYS", 365)
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 24 * 60)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Set SESSION_COOKIE_SECURE=1 when the site is served over HTTPS: browsers then never send
    # the session or remember-me cookie over plain HTTP.
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_SECURE = env_flag("REMEMBER_COOKIE_SECURE", SESSION_COOKIE_SECURE)
    # HTTPS responses tell browsers to use only HTTPS here for this long (0: don't).
    HSTS_MAX_AGE = env_int("HSTS_MAX_AGE", 365 * 24 * 60 * 60)
    # Behind a reverse proxy: how many proxies set each X-Forwarded-* header (0: trust none).
    PROXY_FIX_X_FOR = env_int("PROXY_FIX_X_FOR")
    PROXY_FIX_X_PROTO = env_int("PROXY_FIX_X_PROTO")
    PROXY_FIX_X_HOST = env_int("PROXY_FIX_X_HOST")
    PROXY_FIX_X_PORT = env_int("PROXY_FIX_X_PORT")
    PROXY_FIX_X_PREFIX = env_int("PROXY_FIX_X_PREFIX")
    # Rate limits: in memory per process by default; a shared store (redis://host:6379) makes
    # them hold across several worker processes.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # A shared store that cannot be reached (Redis down) must not take the site down: each
    # worker counts in its own memory meanwhile (with a warning in the log), as without a
    # shared store, and goes back to the store once it answers again. Short timeouts, so a
    # store that does not answer at all costs a request a second, not a minute.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    RATELIMIT_ENABLED = env_flag("RATELIMIT_ENABLED", default=True)
    # The 429 handler sends Retry-After itself; the library's headers would put it (and
    # X-RateLimit-*) on every limited response, successful ones included.
    RATELIMIT_HEADERS_ENABLED = False
    # Limits per client address (login, registration, password reset) or per user (posting,
    # following); several limits are separated by ";". See app/web/ratelimits.py.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    # Failed logins per name tried, from any address (credential stuffing); browsers that have
    # logged in to the account before are spared. See app/web/login_limit.py.
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "20 per hour;100 per day")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5 per hour")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per hour")
    RATELIMIT_POST = os.environ.get("RATELIMIT_POST", "10 per minute;200 per day")
    RATELIMIT_FOLLOW = os.environ.get("RATELIMIT_FOLLOW", "30 per minute;500 per day")
    # Likes (and unlikes) per user: each may tell the post's author; a double click is one.
    RATELIMIT_LIKE = os.environ.get("RATELIMIT_LIKE", "60 per minute;1000 per day")
    # Each report lands in the moderators' queue: enough for a bad day, not for a flood.
    RATELIMIT_REPORT = os.environ.get("RATELIMIT_REPORT", "10 per hour;50 per day")

    # Outgoing email (password resets, address confirmations). With no MAIL_SERVER, messages are
    # written to the log instead of sent: enough for development, never for a real site.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    # STARTTLS upgrades a plain connection (port 587); MAIL_USE_SSL speaks TLS from the first byte
    # (port 465). Either way the server's certificate must be valid for MAIL_SERVER.
    MAIL_USE_TLS = env_flag("MAIL_USE_TLS")
    MAIL_USE_SSL = env_flag("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Chirp <no-reply@localhost>")
    MAIL_TIMEOUT = 10  # seconds to wait for the SMTP server before telling the user to retry

    # How long the links in account emails stay valid, in seconds.
    RESET_TOKEN_MAX_AGE = 60 * 60
    CONFIRM_TOKEN_MAX_AGE = 3 * 24 * 60 * 60
    EMAIL_CHANGE_TOKEN_MAX_AGE = 24 * 60 * 60
    # Each account email costs the site something and lands in somebody's inbox: limit them.
    # Password resets (RATELIMIT_PASSWORD_RESET above) count per client and per address asked.
    # Confirmation resends and email changes, per account.
    RATELIMIT_ACCOUNT_EMAIL = os.environ.get("RATELIMIT_ACCOUNT_EMAIL", "3 per hour")
    # Posts read per database round trip while streaming a data export.
    EXPORT_BATCH_SIZE = 1000
