"""The view side of keyset pagination: the page a request's cursor names, and the links to
the pages beside it (for ``_partials/_pagination.html``)."""

import sqlalchemy as sa
from flask import current_app, request, url_for
from werkzeug.exceptions import BadRequest

from app.listings.keyset import BadCursor, Keyset, Page, PageQuery, keyset_page


def page_of(stmt: sa.Select | PageQuery, keyset: Keyset, first_page: str | None = None) -> Page:
    """The page of ``stmt`` named by the request's ``after``/``before`` cursor.

    A cursor that is not valid gets the 400 page, with a link to ``first_page`` (by default
    the same path without the cursor).
    """
    try:
        return keyset_page(
            stmt,
            keyset,
            per_page=current_app.config["POSTS_PER_PAGE"],
            after=request.args.get("after"),
            before=request.args.get("before"),
        )
    except BadCursor:
        error = BadRequest("That page link is not valid. Start again from the first page.")
        error.retry_url = first_page or request.path  # the same listing, from its first page
        raise error from None


def page_links(endpoint: str, page: Page, **values) -> dict:
    """URLs of the neighbouring pages for the pagination partial."""
    return {
        "prev_url": url_for(endpoint, before=page.prev_cursor, **values)
        if page.prev_cursor
        else None,
        "next_url": url_for(endpoint, after=page.next_cursor, **values)
        if page.next_cursor
        else None,
    }
