"""Rendering post cards: every card on every page comes from :func:`render_posts` (or, on a
thread page, :func:`render_thread`).

Rendering each card through the macro cost most of a listing's time, so the HTML of a card is
kept in a :class:`CardCache` and shared by every viewer who stands in the same relation to it.
Moderators' cards link back to the page they are on: they take the same path, uncached.
A card's forms (its Like button) carry the fragments' CSRF token mark in the place of the
reader's token, put in as the cards leave the cache (app/web/fragments.py): each card is kept
cut at its marks as well, so that the token goes in by joining its pieces.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

from flask import Flask, current_app, request
from markupsafe import Markup

from app.listings.posts import PostCard
from app.listings.threads import InThread, ThreadItem
from app.models import User
from app.models.search import search_tokens
from app.models.types import utcnow
from app.web.bounded import keep
from app.web.filters import relative_time
from app.web.fragments import join_with_csrf_token, split_at_csrf_token
from app.web.permissions import AnonymousUser
from app.web.urls import same_request, this_page


class CardCache:
    """Rendered cards, shared by every viewer who stands in the same relation to a post.

    A card's HTML depends only on the card's values, whether the viewer is anonymous, its
    author, someone else or someone else who has not confirmed their address yet (who may not
    report), which links it offers, the relative time shown and the application root: that
    tuple is the key, so an edited, hidden or renamed post simply gets a new entry,
    never a stale one. Moderators' cards carry links back to the page they are on and are not
    cached. The oldest entries go first when the cache is full.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("POST_CARD_CACHE_SIZE must be at least 1")
        self.size = size
        # Each card's HTML, cut at its CSRF token's marks.
        self._html: dict[tuple, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def render(
        self,
        cards: Iterable[PostCard],
        viewer: User | AnonymousUser,
        *,
        actions: bool = True,
        reportable: bool = True,
        moderator: bool = False,
        focus: bool = False,
    ) -> Markup:
        """The HTML of ``cards`` for ``viewer``, as the ``post_card`` macro renders each.

        ``actions`` false leaves out the card's controls, ``reportable`` false its Report link;
        a ``moderator`` also gets Hide or Unhide, back to this page (not cached); ``focus``
        shows the post a thread page is about.
        """
        return join_with_csrf_token(
            self.parts(
                cards,
                viewer,
                actions=actions,
                reportable=reportable,
                moderator=moderator,
                focus=focus,
            )
        )

    def parts(
        self,
        cards: Iterable[PostCard],
        viewer: User | AnonymousUser,
        *,
        actions: bool = True,
        reportable: bool = True,
        moderator: bool = False,
        focus: bool = False,
    ) -> list[tuple[str, ...]]:
        """Each card's HTML as :meth:`render` gives it, cut at the CSRF token's marks: a
        page that puts something between its cards (a thread's indents, a search's marks)
        renders them in one call and puts the token in as it joins them all
        (:func:`app.web.fragments.join_with_csrf_token`)."""
        now, html = utcnow(), []
        if moderator:
            back = this_page()
            for card in cards:
                relative = relative_time(card.timestamp, now)
                one = render_card(
                    card,
                    viewer,
                    actions=actions,
                    moderator=True,
                    back=back,
                    reportable=reportable,
                    relative=relative,
                    focus=focus,
                )
                html.append(split_at_csrf_token(one))
            return html
        viewer_id, root = (viewer.id if viewer.is_authenticated else None), request.script_root
        reader = "reader" if viewer_id is None or viewer.is_confirmed else "unconfirmed reader"
        for card in cards:
            relative = relative_time(card.timestamp, now)
            if viewer_id is None:
                relation = "anonymous"
            else:
                relation = "author" if viewer_id == card.user_id else reader
            key = (card, relation, actions, reportable, focus, relative, root)
            one = self._html.get(key)
            if one is None:
                one = self._keep(
                    key,
                    render_card(
                        card,
                        viewer,
                        actions=actions,
                        reportable=reportable,
                        relative=relative,
                        focus=focus,
                    ),
                )
            html.append(one)
        return html

    def _keep(self, key: tuple, html: Markup) -> tuple[str, ...]:
        return keep(self._html, self._lock, key, split_at_csrf_token(html), self.size)

    def __len__(self) -> int:
        return len(self._html)


def render_card(card: PostCard, viewer, **options) -> Markup:
    """Render ``card`` with the ``post_card`` macro of ``_macros/posts.html``."""
    macros = current_app.jinja_env.get_template("_macros/posts.html").module
    # Its links and icons take the request's app and root once (app/web/urls.py); a page whose
    # cards all come from the cache does not pay for it.
    with same_request():
        return macros.post_card(card, viewer, **options)


def render_posts(
    cards: Iterable[PostCard],
    viewer,
    *,
    actions: bool = True,
    reportable: bool = True,
    focus: bool = False,
    highlight: frozenset[str] = frozenset(),
) -> Markup:
    """Template global: the HTML of ``cards`` (a listing, or one post) for ``viewer``.

    ``actions`` false leaves out the cards' controls (a post shown on its delete or report
    page), ``reportable`` false the Report link (the moderation queue); ``focus`` shows the
    post a thread page is about, larger and with its full date. ``highlight``: the folded
    words of a search, marked in the texts (see :func:`mark_words`).
    """
    cache = current_app.extensions["post_cards"]
    options = {
        "actions": actions,
        "reportable": reportable,
        "moderator": viewer.has_role("moderator"),
        "focus": focus,
    }
    if not highlight:
        return cache.render(cards, viewer, **options)
    # A card's text comes before its forms, so before the first CSRF token's mark: only
    # that first piece is marked, and the pieces joined with the token.
    return join_with_csrf_token(
        (mark_words(parts[0], highlight), *parts[1:])
        for parts in cache.parts(cards, viewer, **options)
    )


def render_thread(
    items: Sequence[ThreadItem | None], viewer, below: InThread | None = None
) -> Markup:
    """Template global: a thread's posts (``items``) for ``viewer``, in one call.

    A post the reader may not see is shown as "not available", one that was deleted (None) as
    "deleted", in its place. ``below``: the post whose replies these are; each is then
    indented by its depth under it. One call for the whole list, not one per post: the
    thread page cost half again as much as explore while it rendered its replies one by one.
    """
    cards = [item.card for item in items if item is not None and item.visible]
    card_parts: list[tuple[str, ...]] = []
    if cards:
        options = {"moderator": viewer.has_role("moderator")}
        card_parts = current_app.extensions["post_cards"].parts(cards, viewer, **options)
    shown, placeholders = iter(card_parts), {}

    def placeholder(reason: str) -> tuple[str]:
        if reason not in placeholders:
            macros = current_app.jinja_env.get_template("_macros/posts.html").module
            placeholders[reason] = (str(macros.post_placeholder(reason)),)
        return placeholders[reason]

    html: list[tuple[str, ...]] = []
    for item in items:
        if item is None:
            one = placeholder("deleted")
        elif item.visible:
            one = next(shown)
        else:
            one = placeholder("unavailable")
        html.append(one)
    if below is not None:
        # Each wrapped by its depth, in plain strings: Markup's % escaped every card again
        # (0.1 ms of a thread page). The pieces are markup and the depth a number.
        base = len(below.full_path)
        html = [
            _wrapped(one, f'<div class="thread-depth-{_depth(item, base)}">', "</div>")
            for item, one in zip(items, html, strict=True)
        ]
    return join_with_csrf_token(html, "\n")


def _wrapped(parts: tuple[str, ...], before: str, after: str) -> tuple[str, ...]:
    # HTML cut at its CSRF token's marks, with ``before`` and ``after`` around the whole.
    if len(parts) == 1:
        return (before + parts[0] + after,)
    return (before + parts[0], *parts[1:-1], parts[-1] + after)


def _depth(item: ThreadItem | None, base: int) -> int:
    # ThreadItem.depth_below, from the length of the path it is below (a deleted post: 0).
    return 0 if item is None else item.levels_below(base)


MARKED_CARDS = 2048
"""How many marked cards :func:`mark_words` keeps (about 1.5 kB each), per process."""


@lru_cache(maxsize=MARKED_CARDS)
def mark_words(html: str, words: frozenset[str]) -> str:
    """A card's ``html`` with ``words`` (folded) marked in its text.

    The card comes from the cache as for any listing (a search gives the card's first piece,
    up to its first form's CSRF token mark: the text is above the forms; HTML without a
    ``post-body`` comes back as it is); only the content of its ``post-body``
    paragraph (escaped text and links, never a ``</p>``) is changed, and there only the text
    between tags: each run of word characters whose folded form is one of ``words`` is put in
    ``<mark>``. Entities (``&lt;``) are left whole, and word characters cannot be markup, so
    the marks are the only markup added. Rendering each card again cost half a page's speed.

    Kept, like the cards, for everyone who searches the same words: the result depends on
    ``html`` (the card as the cache gives it, never a reader's token) and ``words`` alone,
    and marking a page's cards cost a sixth of a search page.
    """
    body = html.find(_BODY_START)
    start = html.find(">", body) + 1
    end = html.find("</p>", start)
    if body < 0 or start == 0 or end < 0:
        return html

    def mark(match: re.Match) -> str:
        word = match.group()
        if word[0] == "&":
            return word
        # ASCII folds by lowering and splits only at "_"; the full folding is for the rest.
        tokens = word.lower().split("_") if word.isascii() else search_tokens(word)
        return word if words.isdisjoint(tokens) else f"<mark>{word}</mark>"

    parts = _TAG.split(html[start:end])
    parts[::2] = [_ENTITY_OR_WORD.sub(mark, text) for text in parts[::2]]
    return Markup(f"{html[:start]}{''.join(parts)}{html[end:]}")  # noqa: S704 (see above)


_BODY_START = 'class="post-body"'
_TAG = re.compile(r"(<[^>]*>)")
_ENTITY_OR_WORD = re.compile(r"&#?\w+;|\w+")


def init_app(app: Flask) -> None:
    """Give ``app`` its card cache (``POST_CARD_CACHE_SIZE`` entries) and template helpers."""
    app.extensions["post_cards"] = CardCache(app.config["POST_CARD_CACHE_SIZE"])
    app.add_template_global(render_posts)
    app.add_template_global(render_thread)
    app.add_template_filter(PostCard.of, "card")
