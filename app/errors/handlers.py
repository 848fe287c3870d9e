"""Render HTTP errors as pages of the site."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import flash, redirect, render_template, url_for
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from app.errors import bp
from app.expired_forms import refilled_form
from app.extensions import db
from app.gone import forget_deleted_user
from app.ratelimits import describe_wait, seconds_until_reset
from app.urls import site_url_adapter

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
}
EXPLANATIONS = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "That page does not exist.",
    405: "That page cannot be used that way.",
    413: "What you sent is too large.",
    429: "You are doing that too often.",
    500: "The fault is ours, and it has been logged. Please try again.",
}


def render_error(error: HTTPException):
    """The error page for ``error``, keeping its status and headers."""
    code = error.code or 500
    description = error.description
    if description == type(error).description:
        description = EXPLANATIONS.get(code, description)
    heading = HEADINGS.get(code, error.name)
    body = render_template(
        "errors/error.html",
        title=heading,
        heading=heading,
        code=code,
        name=error.name,
        message=description,
        # Where trying again makes sense (a broken page link: that listing's first page).
        retry_url=getattr(error, "retry_url", None),
        # Refused until the address is confirmed: a way to get the link again.
        offer_confirmation=getattr(error, "offer_confirmation", False),
    )
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
    """A request naming a host that is not this site's (``TRUSTED_HOSTS``, app/deployment.py).

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


@bp.app_errorhandler(InternalServerError)
def internal_error(error: InternalServerError):
    """Roll back whatever the failed request left half-done, then apologise."""
    db.session.rollback()
    return render_error(error)


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
