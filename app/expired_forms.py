"""Forms whose text survives an expired page.

When the session a page was made for has ended (the browser was restarted and a remember-me
cookie logged its owner back in, or ``SECRET_KEY`` changed), the form's CSRF token no longer
matches, and CSRFProtect refuses the POST before the view runs. For the forms people write in,
that would throw their text away: their views register a page here that shows the form again,
as it was sent, with a fresh token and a message saying nothing was done.
"""

from collections.abc import Callable

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


def refilled_form() -> str | None:
    """This request's form again, as sent, if its view registered a page and may still show it.

    None for anyone logged out (the form's page needs a login) or if the page is gone (the post
    being edited was deleted meanwhile): the plain error page then explains.
    """
    page = _refill_pages.get(request.endpoint)
    if page is None or not current_user.is_authenticated:
        return None
    try:
        return page(EXPIRED_MESSAGE)
    except HTTPException:
        return None
