"""The view side of keyset pagination: the page a request's cursor names, and the links to
the pages beside it (for ``_partials/_pagination.html``)."""

from flask import current_app, request, url_for
from werkzeug.exceptions import BadRequest

from app.listings.keyset import BadCursor, Page, PageQuery, keyset_page


class BadPageLink(BadRequest):
    """A page link whose cursor is not valid: the 400 page, with a way back to the listing's
    first page (``retry_url``)."""

    def __init__(self, retry_url: str) -> None:
        super().__init__("That page link is not valid. Start again from the first page.")
        self.retry_url = retry_url


def page_of(pages: PageQuery, first_page: str | None = None) -> Page:
    """The page of a listing named by the request's ``after``/``before`` cursor.

    A cursor that is not valid gets the 400 page, with a link to ``first_page`` (by default
    the same path without the cursor).
    """
    try:
        return keyset_page(
            pages,
            per_page=current_app.config["POSTS_PER_PAGE"],
            after=request.args.get("after"),
            before=request.args.get("before"),
        )
    except BadCursor:
        raise BadPageLink(first_page or request.path) from None


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
