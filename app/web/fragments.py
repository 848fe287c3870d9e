"""Parts of pages rendered once and reused by every request that asks for the same thing.

Every logged-in page repeats the same few parts for the same reader (the navigation, home's
"who to follow"), and every list of people the same rows for the readers who see each person
the same way; rendering them again is most of what a page costs beyond its listing. A
fragment template is rendered from the values it is given and nothing else (no request, no
current user: they are undefined in it), so those values are a complete key and a kept
fragment can never be stale. Forms in a fragment carry :data:`CSRF_TOKEN_MARK` where the
reader's token goes; :func:`with_csrf_token` puts it in as the fragment is used.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Sequence

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.web.bounded import keep

CSRF_TOKEN_MARK = Markup("<csrf-token>")
"""Where a kept fragment's form has the reader's CSRF token: kept HTML is shared by many
readers, and each has a token of their own. No text a user writes can put it in a fragment (a
``<`` they type is escaped)."""


def _csrf_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def csrf_token_html() -> Markup:
    """The current reader's CSRF token, escaped as it goes into a form."""
    # Read the token Flask-WTF keeps in g for the request (gone when a log-in changes it)
    # rather than ask generate_csrf each time.
    token = g.get(_csrf_field()) or generate_csrf()
    return Markup.escape(token)


def with_csrf_token(html: Markup) -> Markup:
    """``html`` with the current reader's CSRF token in its forms."""
    if CSRF_TOKEN_MARK not in html:
        return html
    return html.replace(CSRF_TOKEN_MARK, csrf_token_html())


def split_at_csrf_token(html: str) -> tuple[str, ...]:
    """``html`` cut where :data:`CSRF_TOKEN_MARK` is (one piece if it has none).

    For HTML that is kept and used again and again: :func:`join_with_csrf_token` puts the
    token in by joining the pieces. Replacing the marks in a page of 25 cards (60 kB) cost
    0.12-0.14 ms, a third of its template time: most of it searching the text for them.
    """
    return tuple(str(html).split(CSRF_TOKEN_MARK))


def join_with_csrf_token(
    pieces: Iterable[Sequence[str]], separator: str = "", *, keep_marks: bool = False
) -> Markup:
    """Markup made of ``pieces`` (each as :func:`split_at_csrf_token` gives it), joined by
    ``separator``, with the current reader's CSRF token where the marks were (or the marks
    again if ``keep_marks``: for a fragment made of fragments)."""
    token, html = (str(CSRF_TOKEN_MARK) if keep_marks else None), []
    for parts in pieces:
        if len(parts) == 1:
            html.append(parts[0])
        else:
            if token is None:
                token = str(csrf_token_html())
            html.append(token.join(parts))
    # Markup split at a mark of markup, and an escaped token: markup again.
    return Markup(separator.join(html))  # noqa: S704


class FragmentCache:
    """Rendered fragments under their key, at most ``size``; the oldest go first. Each is
    kept as it is and cut at its CSRF token marks (:func:`split_at_csrf_token`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._html: dict[Hashable, tuple[Markup, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        """The fragment kept under ``key``, if any."""
        kept = self._html.get(key)
        return None if kept is None else kept[0]

    def parts(self, key: Hashable) -> tuple[str, ...] | None:
        """The fragment kept under ``key`` cut at its CSRF token marks, if it is kept."""
        kept = self._html.get(key)
        return None if kept is None else kept[1]

    def keep(self, key: Hashable, html: Markup) -> tuple[str, ...]:
        """Keep ``html`` under ``key``, making room if the cache is full; returns it cut at
        its CSRF token marks."""
        kept = (html, split_at_csrf_token(html))
        return keep(self._html, self._lock, key, kept, self.size)[1]

    def __len__(self) -> int:
        return len(self._html)


def fragment(template_name: str, **values: Hashable) -> Markup:
    """Template global: ``template_name`` rendered with ``values`` (and the site's root), kept
    for every later request that gives the same values, with this reader's CSRF token in it.

    Give it every value the fragment shows; lists are kept as tuples, and the rest must be
    hashable.
    """
    cache: FragmentCache = current_app.extensions["fragments"]
    return join_with_csrf_token([_kept_parts(cache, template_name, request.script_root, values)])


def kept_fragments(
    template_name: str, rows: Iterable[dict[str, Hashable]]
) -> list[tuple[str, ...]]:
    """:func:`fragment` for each of ``rows`` (the values of one each), cut at their CSRF
    token marks: for a page part made of many fragments (a list of people, a row each), whose
    token goes in as they are joined (:func:`join_with_csrf_token`)."""
    cache: FragmentCache = current_app.extensions["fragments"]
    root = request.script_root
    return [_kept_parts(cache, template_name, root, values) for values in rows]


def _kept_parts(
    cache: FragmentCache, template_name: str, root: str, values: dict[str, Hashable]
) -> tuple[str, ...]:
    # The fragment of ``values``, from ``cache`` or rendered and kept. The key holds the
    # values in the order given: one place in a template always gives them in the same order,
    # and the same values in another order are only kept twice, never mistaken for others
    # (sorting them cost a navigation's fragment 4 us, each notifications line 2 us).
    key = (template_name, root, *values.items())
    try:
        parts = cache.parts(key)
    except TypeError:  # a list among the values (unhashable): kept as a tuple
        values = {name: tuple(v) if isinstance(v, list) else v for name, v in values.items()}
        key = (template_name, root, *values.items())
        parts = cache.parts(key)
    if parts is None:
        template = current_app.jinja_env.get_template(template_name)
        # An autoescaping template's output; url_for builds paths under the request's root,
        # which is part of the key.
        html = Markup(template.render(values, csrf_token_mark=CSRF_TOKEN_MARK))  # noqa: S704
        # A reader's token in it would be handed to every other reader. Asked only of a
        # session that has a token's secret (one rendered into the fragment made it): asking
        # generate_csrf otherwise would give an anonymous visitor a session cookie.
        if session.get(_csrf_field()) is not None and generate_csrf() in html:
            raise RuntimeError(f"{template_name} has a CSRF token: use csrf_token_mark")
        parts = cache.keep(key, html)
    return parts


def init_app(app: Flask) -> None:
    """Give ``app`` its fragment cache (``FRAGMENT_CACHE_SIZE`` entries) and the template
    helpers."""
    if app.config["FRAGMENT_CACHE_SIZE"] < 1:
        raise ValueError("FRAGMENT_CACHE_SIZE must be at least 1")
    app.extensions["fragments"] = FragmentCache(app.config["FRAGMENT_CACHE_SIZE"])
    app.add_template_global(fragment)
    app.add_template_filter(with_csrf_token, "with_csrf_token")
    app.add_template_global(CSRF_TOKEN_MARK, "csrf_token_mark")
