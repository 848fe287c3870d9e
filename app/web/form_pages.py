"""Form pages: a form's page, shown again with what was sent and a message on one field.

A form that was sent comes back to its page in three ways, and each form page is one
:class:`FormPage` that all three use:

* invalid: the view renders the page with the form and its errors;
* refused over a rate limit: a 429 with the page, the text still in it, and how long to wait
  (see :func:`app.web.ratelimits.rate_limit`);
* sent after its session ended: when the session a page was made for has ended (the browser
  was restarted and a remember-me cookie logged its owner back in, or ``SECRET_KEY`` changed),
  the form's CSRF token no longer matches, and CSRFProtect refuses the POST before the view
  runs. For the forms people write in that would throw their text away, so the CSRF error
  handler shows their page again (:func:`refilled_form`), as sent, with a fresh token and a
  message saying nothing was done. Only for requests the browser says came from this site:
  another site must not be able to fill someone's form with its words and hand them a working
  token to send them with. The same pages answer when the database refused to save the form
  (it was read-only for a moment, see :mod:`app.web.outages`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import update_wrapper
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException

EXPIRED_MESSAGE = (
    "This page had expired, so nothing was sent. Your text is still here: send it again."
)

# Endpoint -> the page its form comes back to when the view could not take it (an expired CSRF
# token, a database that refused the write).
_refill_pages: dict[str, FormPage] = {}


class FormPage:
    """A page that shows a form: ``render(form)`` gives the page, ``form()`` the form as the
    request sent it, and messages about the whole form go under ``field``.

    ``render`` and ``form`` may read the request (the post being edited comes from its URL).
    Outside its view (a refusal, an expired session) the page is shown only to whom the view
    shows it: logged-in users holding ``role`` (if any), or anyone if ``public``.
    """

    def __init__(
        self,
        render: Callable[[FlaskForm], str],
        form: Callable[[], FlaskForm],
        field: str,
        *,
        public: bool = False,
        role: str | None = None,
        refill: Iterable[str] = (),
    ) -> None:
        self.render = render
        self.form = form
        self.field = field
        self.public = public
        self.role = role
        for endpoint in refill:
            _refill_pages[endpoint] = self

    def __call__(self, form: FlaskForm) -> str:
        """The page with ``form`` (as the view has it: errors and all)."""
        return self.render(form)

    def again(self, message: str) -> str:
        """The page with the form as sent and ``message`` under :attr:`field`."""
        form = self.form()
        getattr(form, self.field).errors = [message]
        return self.render(form)

    def may_show(self) -> bool:
        """True if the current user may see this page (outside its view, which checks itself)."""
        if self.public:
            return True
        if not current_user.is_authenticated:
            return False
        return self.role is None or current_user.has_role(self.role)


def form_page(
    form: Callable[[], FlaskForm],
    field: str,
    *,
    public: bool = False,
    role: str | None = None,
    refill: Iterable[str] = (),
) -> Callable[[Callable[[FlaskForm], str]], FormPage]:
    """Decorator: the decorated ``render(form)`` becomes a :class:`FormPage`.

    ``refill`` lists the endpoints whose form comes back as this page, as it was sent, when
    their view could not take it (an expired session, a read-only database).
    """

    def make(render: Callable[[FlaskForm], str]) -> FormPage:
        page = FormPage(render, form, field, public=public, role=role, refill=refill)
        return update_wrapper(page, render, updated=())

    return make


def sent_from_this_site() -> bool:
    """True if the browser says the request came from one of this site's pages.

    Browsers send ``Origin`` with every POST, and ``Referer`` (kept to this site by its
    Referrer-Policy) where they don't; with neither, the answer is no.
    """
    source = request.headers.get("Origin") or request.referrer or ""
    return urlsplit(source).netloc == request.host


def refilled_form(message: str = EXPIRED_MESSAGE, *, token_checked: bool = False) -> str | None:
    """This request's form page again, as sent, with ``message`` on it, if its view has one
    that refills and may still show it.

    The same pages serve a form the database refused to save (it was read-only for a moment):
    its CSRF token was checked (``token_checked``), so it came from this site, whatever the
    browser says.

    None for anyone who may not see the page (it needs a login, or a role), for a request from
    elsewhere, or if the page is gone (the post being edited was deleted meanwhile): the plain
    error page then explains.
    """
    page = _refill_pages.get(request.endpoint)
    if page is None or not page.may_show():
        return None
    if not (token_checked or sent_from_this_site()):
        return None
    try:
        return page.again(message)
    except HTTPException:
        return None
