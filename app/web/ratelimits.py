"""Rate limits on the actions worth abusing: logging in, registering, posting, following,
reports and account emails.

Each limit is a setting (``RATELIMIT_LOGIN = "10 per minute;50 per hour"`` in config.py, or the
environment) applied to a view with :func:`rate_limit`, under its route decorator; only POSTs
count.
"""

import time
from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, make_response, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.extensions import limiter
from app.web.form_pages import FormPage

# Retry-After when a 429 does not come from a counted limit (nothing better is known).
DEFAULT_RETRY_AFTER = 60


def user_or_address() -> str:
    """Limit key: the logged-in user (from wherever they connect), else the client's address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


def rate_limit(
    setting: str,
    *,
    key: Callable[[], str] = get_remote_address,
    scope: str | None = None,
    page: FormPage | None = None,
    refusal: str = "",
    retry: str = "send it again",
    deduct_when: Callable[[Response], bool] | None = None,
    exempt_when: Callable[[], bool] | None = None,
):
    """Decorator: limit POSTs to a view to ``app.config[setting]``.

    Counted per ``key``: the client's address, :func:`user_or_address`, or what the request
    asks about; views given the same ``scope`` share one count. Over the limit, a view with a
    form ``page`` answers with it (429): what was typed stays in the form, and its field says
    "<refusal>. Please wait <time>, then <retry>." Others get the plain 429 page.
    ``deduct_when(response)`` counts only some requests (failed logins); a request for which
    ``exempt_when()`` is true is not limited.
    """

    def refuse(limit: RequestLimit) -> Response | None:
        if not page.may_show():
            return None  # the plain 429 page
        return make_response(page.again(wait_and_retry(limit, refusal, retry)), 429)

    options = {
        "methods": ["POST"],
        "key_func": key,
        "on_breach": refuse if page is not None else None,
        "deduct_when": deduct_when,
        "exempt_when": exempt_when,
    }

    def limit_value() -> str:
        return current_app.config[setting]

    if scope:
        limit = limiter.shared_limit(limit_value, scope=scope, **options)
    else:
        limit = limiter.limit(limit_value, **options)

    def decorate(view: Callable) -> Callable:
        limited = limit(view)

        # Flask-Limiter would look the view's limits up on every request and find none for a
        # GET (0.04 ms of every home page): only a POST goes through it.
        @wraps(limited)
        def view_or_limited(*args, **kwargs):
            if request.method == "POST":
                return limited(*args, **kwargs)
            return view(*args, **kwargs)

        return view_or_limited

    return decorate


def seconds_until_reset(limit: RequestLimit | None = None) -> int:
    """Seconds until the breached ``limit`` (default: this request's) lets the client in again."""
    limit = limit or limiter.current_limit
    if limit is None:
        return DEFAULT_RETRY_AFTER
    return max(1, int(limit.reset_at - time.time()))


def wait_and_retry(limit: RequestLimit, refusal: str, retry: str = "send it again") -> str:
    """A form error for a breached ``limit``: "<refusal>. Please wait <time>, then <retry>."

    Views whose limit shows their form page again put it on a field, so what was typed stays
    in the form.
    """
    return f"{refusal}. Please wait {describe_wait(seconds_until_reset(limit))}, then {retry}."


def describe_wait(seconds: int) -> str:
    """``seconds`` as a person would say it: "1 second", "40 seconds", "3 minutes"."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"
