"""URLs: the ``<id:...>`` route part, links that a page builds once per post (at a fraction of
``url_for``'s cost), links on the site's own address for emails, and the ``next`` pages a link
may send people back to."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, g, request, url_for
from werkzeug.routing import IntegerConverter, MapAdapter

from app.models.types import MAX_ID
from app.web.bounded import keep

# An id no row will have. Built into a URL, its digits show where the id goes.
_MARK = str(9_007_199_254_740_881)
# Text a URL path carries as it is (usernames are made of these).
_UNQUOTED = re.compile(r"[A-Za-z0-9_]+")


class IdConverter(IntegerConverter):
    """``<id:name>`` in a route: a row id, 1 to :data:`MAX_ID`; any other number is a 404."""

    def __init__(self, map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def site_url_adapter() -> MapAdapter:
    """The app's routes bound to ``SITE_URL`` (scheme, host and port, path as the prefix)."""
    site = urlsplit(current_app.config["SITE_URL"])
    return current_app.url_map.bind(
        site.netloc, script_name=site.path or "/", url_scheme=site.scheme
    )


def site_url_for(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on ``SITE_URL``: for links that leave the site (emails).

    An external ``url_for`` link would take the host from the request, and the ``Host`` header
    is whatever the client sent: someone asking for another person's password reset
    with ``Host: evil.example`` would have that person mailed a working link to their host.
    """
    return site_url_adapter().build(endpoint, values, force_external=True)


def this_page() -> str:
    """The path and query of the page being made: where its buttons and links to confirmation
    pages bring the user back to (``next=``) afterwards."""
    return request.full_path.rstrip("?")


def safe_next_path(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None: a ``next`` parameter must not
    send people to another site.

    Browsers treat ``//host``, ``/\\host`` and ``http:host`` as other sites, and ignore tabs and
    newlines inside URLs, so anything but a plain absolute path is refused (also once decoded).
    """
    if not target:
        return None
    for candidate in (target, unquote(target)):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            return None
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return None
        if "\\" in candidate:
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


def url_for_id(endpoint: str, name: str, value: int, **values) -> str:
    """``url_for(endpoint, **{name: value}, **values)``, where ``name`` is an
    ``<id:...>`` or ``<int:...>`` part.

    The first call for an endpoint (and the same other ``values``) in a process builds the URL
    with a marker for ``value`` and keeps the text on either side (:func:`_around_marker`); the
    others only put the number in between. The result is what url_for gives; a listing of 25
    posts makes about a hundred of these links.
    """
    parts = _around_marker(endpoint, name, values)
    if not parts:
        return url_for(endpoint, **{name: value}, **values)
    return f"{parts[0]}{int(value)}{parts[1]}"


def static_url(filename: str) -> str:
    """``url_for("static", filename=filename)``, built once per request for each file.

    The icons' sprite is linked by every icon of every card (three a card): a ``url_for`` each
    was a fifth of a card's render, which each worker pays for every new post it shows.
    """
    urls = g.setdefault("_static_urls", {})
    url = urls.get(filename)
    if url is None:
        url = urls[filename] = url_for("static", filename=filename)
    return url


def avatar_url(user_id: int, size: int = 64) -> str:
    """URL of the identicon of the user ``user_id``, served by this site (a template global)."""
    return url_for_id("main.avatar", "user_id", user_id, size=size)


def url_for_name(endpoint: str, name: str, username: str, **values) -> str:
    """Like :func:`url_for_id`, for a part that is a username (a list of people links each).

    Usernames are letters, digits and underscores, which a URL carries as they are; any other
    text goes through ``url_for``, which quotes it.
    """
    parts = _around_marker(endpoint, name, values)
    if not parts or not _UNQUOTED.fullmatch(username):
        return url_for(endpoint, **{name: username}, **values)
    return f"{parts[0]}{username}{parts[1]}"


URL_TEMPLATES_SIZE = 1_000
"""How many texts :func:`_around_marker` keeps per process (a moderator's cards add one a page,
their links bringing them back to it)."""

_templates_lock = threading.Lock()
_APP_AND_ROOT: ContextVar[tuple[Flask, str] | None] = ContextVar("app_and_root", default=None)


def app_and_root() -> tuple[Flask, str]:
    """The app and the application root of the request that links are built for: as they
    were on entering :func:`same_request`, inside one, else read through Flask's proxies."""
    kept = _APP_AND_ROOT.get()
    if kept is None:
        return current_app._get_current_object(), request.script_root
    return kept


@contextmanager
def same_request() -> Iterator[None]:
    """Inside it, links (:func:`url_for_id`, :func:`url_for_name`) and icons take this
    request's app and root once, not through Flask's context proxies for each (0.9 us a
    lookup, two a link): for a loop that builds many links in one request.

    A card has five links and two icons: the lookups were a fifth of a new card's render
    (app/listings/cards.py renders its cards inside one).
    """
    token = _APP_AND_ROOT.set(app_and_root())
    try:
        yield
    finally:
        _APP_AND_ROOT.reset(token)


def _around_marker(endpoint: str, name: str, values: dict) -> tuple[str, str] | tuple[()]:
    """The URL's text before and after ``name``'s value (or ``()``), built once per process
    and application root (the oldest go first past :data:`URL_TEMPLATES_SIZE`).

    Kept per request, they were built again by every request that rendered a card missing from
    the card cache: each new post's card, which each worker renders once, built its six or seven
    links with ``url_for``, a fifth of the render (0.22 -> 0.18 ms under the write load). A path
    ``url_for`` builds depends on the request only through its root while the app has no URL
    defaults and no host or subdomain matching (``tests/web/test_urls.py`` checks that).
    """
    app, root = app_and_root()
    key = (root, endpoint, name, *sorted(values.items())) if values else (root, endpoint, name)
    templates = app.extensions.setdefault("url_templates", {})
    parts = templates.get(key)
    if parts is None:
        built = url_for(endpoint, **{name: int(_MARK)}, **values)
        head, _, tail = built.partition(_MARK)
        parts = (head, tail) if built.count(_MARK) == 1 else ()
        parts = keep(templates, _templates_lock, key, parts, URL_TEMPLATES_SIZE)
    return parts
