"""Render HTTP errors as pages of the site."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

from app.extensions import db, login_manager
from app.listings.pages import BadPageLink
from app.web.form_pages import refilled_form
from app.web.outages import RETRY_AFTER_SECONDS, DatabaseFailure, database_failure, mark_read_only
from app.web.permissions import ConfirmationRequired
from app.web.ratelimits import describe_wait, seconds_until_reset
from app.web.rows import forget_deleted_user
from app.web.urls import site_url_adapter

bp = Blueprint("errors", __name__, template_folder="templates")

# Each status in a person's words: the page heading, and what it means (shown under it). The
# number and its standard name still appear, smaller, for whoever reports the problem.
HEADINGS = {
    400: "That did not work",
    403: "Not allowed",
    404: "Page not found",
    405: "Not possible here",
    413: "That is too much at once",
    429: "Slow down a little",
    500: "Something went wrong",
    503: "Back in a moment",
}
EXPLANATIONS = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "That page does not exist.",
    405: "That page cannot be used that way.",
    413: "What you sent is too large.",
    429: "You are doing that too often.",
    500: "The fault is ours, and it has been logged. Please try again.",
    503: "Chirp cannot reach its database just now, so nothing was read or saved. "
    "Please try again in a minute.",
}
# A write the database refused (see app/web/outages.py): on the error page, and on a form sent back.
READ_ONLY_REFUSAL = (
    "Chirp is read-only for a moment, so nothing was saved. Please try again in a few minutes."
)
READ_ONLY_FORM_MESSAGE = (
    "Chirp is read-only for a moment, so this was not saved. Your text is still here: "
    "send it again in a few minutes."
)


def render_error(error: HTTPException, *, without_database: bool = False):
    """The error page for ``error``, keeping its status and headers.

    The layout shows who is logged in, which needs the database. If that fails too (it is what
    went wrong, or went down meanwhile), or ``without_database`` says it would, the page is
    rendered as if nobody were logged in, without the account links: an error page must never
    fail itself, or the server's bare 500 goes out without the site's security headers.
    """
    code = error.code or 500
    description = error.description
    if description == type(error).description:
        description = EXPLANATIONS.get(code, description)
    heading = HEADINGS.get(code, error.name)
    if without_database:
        # Flask-Login keeps the request's user in g: an anonymous one is never loaded.
        g._login_user = login_manager.anonymous_user()
        g.database_unreachable = True
    try:
        body = render_template(
            "errors/error.html",
            title=heading,
            heading=heading,
            code=code,
            name=error.name,
            message=description,
            # Where trying again makes sense (a broken page link: that listing's first page).
            retry_url=error.retry_url if isinstance(error, BadPageLink) else None,
            # Refused until the address is confirmed: a way to get the link again.
            offer_confirmation=isinstance(error, ConfirmationRequired),
        )
    except sa.exc.SQLAlchemyError as failure:
        if without_database:
            raise
        current_app.logger.warning("An error page could not load its user: %s", reason(failure))
        roll_back()
        return render_error(error, without_database=True)
    response = error.get_response()
    response.set_data(body)
    response.mimetype = "text/html"
    return response


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """A missing or stale CSRF token: a form people write in comes back as sent, else a page."""
    refilled = refilled_form()
    if refilled is not None:
        return refilled, 400
    error.description = "The form expired or did not come from this site. Please try again."
    return render_error(error)


@bp.app_errorhandler(SecurityError)
def untrusted_host(error: SecurityError):
    """A request naming a host that is not this site's (``TRUSTED_HOSTS``, app/web/deployment.py).

    Flask refuses it before it has a way to build this site's URLs, which the page's layout
    needs: its links then point at ``SITE_URL``, never at the host the request named.
    """
    if request_ctx.url_adapter is None:
        request_ctx.url_adapter = site_url_adapter()
    error.description = "This site does not answer to that host name."
    return render_error(error)


@bp.app_errorhandler(429)
def too_many_requests(error: HTTPException):
    """Over a rate limit: say how long to wait, in words and in ``Retry-After``.

    A limit may have built its own page (the post box keeps the typed text); that is kept.
    """
    seconds = seconds_until_reset()
    if error.response is not None:
        response = error.response
    else:
        error.description = f"{EXPLANATIONS[429]} Try again in {describe_wait(seconds)}."
        response = render_error(error)
    response.headers["Retry-After"] = str(seconds)
    return response


def reason(error: Exception) -> object:
    """What the database said about ``error``, without the statement's parameters (for logs)."""
    return getattr(error, "orig", None) or error


def roll_back() -> None:
    """Roll back whatever the failed request left half-done, if the database lets us."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("Could not roll back after a failed request: %s", reason(error))


@bp.app_errorhandler(InternalServerError)
def internal_error(error: InternalServerError):
    """Roll back whatever the failed request left half-done, then apologise.

    A database failure that reached here (raised by another error handler) is answered as one.
    """
    if database_failure(error.original_exception) is not None:
        return database_failed(error.original_exception)
    roll_back()
    return render_error(error)


@bp.app_errorhandler(sa.exc.DBAPIError)
@bp.app_errorhandler(sa.exc.TimeoutError)
def database_failed(error: Exception):
    """The database out of reach, or refusing a write: a 503 with ``Retry-After``, not a 500.

    Out of reach, the page is rendered without it (nobody shown as logged in; the session stays,
    so the next page after the outage is as before). A refused write sends back the form it came
    from, as it was filled in, where the view has a form page (``app/web/form_pages.py``), else a
    page saying nothing was saved. Any other database error is a fault of ours: the 500 page.
    """
    failure = database_failure(error)
    if failure is None:
        raise error
    roll_back()
    if failure is DatabaseFailure.READ_ONLY:
        current_app.logger.warning("The database refused a write: %s", reason(error))
        mark_read_only()
        page = refilled_form_if_readable()
        if page is not None:
            response = make_response(page, 503)
        else:
            response = render_error(ServiceUnavailable(READ_ONLY_REFUSAL))
    else:
        current_app.logger.error("The database cannot be reached: %s", reason(error))
        response = render_error(ServiceUnavailable(), without_database=True)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def refilled_form_if_readable() -> str | None:
    """The refused form again (see :func:`refilled_form`), unless reading its page fails too."""
    try:
        return refilled_form(READ_ONLY_FORM_MESSAGE, token_checked=True)
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("Could not send the refused form back: %s", reason(error))
        roll_back()
        return None


@bp.app_errorhandler(sa.exc.IntegrityError)
@bp.app_errorhandler(so.exc.StaleDataError)
@bp.app_errorhandler(so.exc.ObjectDeletedError)
def own_account_gone(error: Exception):
    """A write or read that failed because the user's own account was deleted meanwhile (from
    another tab): they are logged out and sent to log in, as their next request would be. Any
    other such failure is a fault of ours, a 500."""
    db.session.rollback()
    if not forget_deleted_user():
        raise error
    flash("Your account no longer exists.", "info")
    return redirect(url_for("auth.login"))


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Every other HTTP error (404, 405, a static file's 416...) as a page of the site."""
    return render_error(error)
