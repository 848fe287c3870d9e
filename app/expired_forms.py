"""Forms whose text survives an expired page.

When the session a page was made for has ended (the browser was restarted and a remember-me
cookie logged its owner back in, or ``SECRET_KEY`` changed), the form's CSRF token no longer
matches, and CSRFProtect refuses the POST before the view runs. For the forms people write in,
that would throw their text away: their views register a page here that shows the form again,
as it was sent, with a fresh token and a message saying nothing was done. The same pages answer
when the database refused to save the form (it was read-only for a moment, see app/outages.py).

Only for requests the browser says came from this site: another site must not be able to fill
someone's form with its words and hand them a working token to send them with.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

EXPIRED_MESSAGE = (
    "This page had expired, so nothing was sent. Your text is still here: send it again."
)

_refill_pages: dict[str, Callable[[str], str]] = {}


def refill_when_expired(endpoint: str):
    """Decorator: ``page(message)`` shows ``endpoint``'s form as sent, ``message`` on its field."""

    def register(page: Callable[[str], str]) -> Callable[[str], str]:
        _refill_pages[endpoint] = page
        return page

    return register


def sent_from_this_site() -> bool:
    """True if the browser says the request came from one of this site's pages.

    Browsers send ``Origin`` with every POST, and ``Referer`` (kept to this site by its
    Referrer-Policy) where they don't; with neither, the answer is no.
    """
    source = request.headers.get("Origin") or request.referrer or ""
    return urlsplit(source).netloc == request.host


def refilled_form(message: str = EXPIRED_MESSAGE, *, token_checked: bool = False) -> str | None:
    """This request's form again, as sent, with ``message`` on it, if its view registered a page
    and may still show it.

    The same pages serve a form the database refused to save (it was read-only for a moment):
    its CSRF token was checked (``token_checked``), so it came from this site, whatever the
    browser says.

    None for anyone logged out (the form's page needs a login), for a request from elsewhere,
    or if the page is gone (the post being edited was deleted meanwhile): the plain error page
    then explains.
    """
    page = _refill_pages.get(request.endpoint)
    if page is None or not current_user.is_authenticated:
        return None
    if not (token_checked or sent_from_this_site()):
        return None
    try:
        return page(message)
    except HTTPException:
        return None
