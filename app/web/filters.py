"""Template filters: web addresses, @mentions and #hashtags in user text as links (everything
else stays escaped text), and times in words."""

import re
from datetime import datetime

from markupsafe import Markup, escape

from app.listings.mentions import parse_mention_links
from app.models.notifications import MENTION_PATTERN
from app.models.search import HASHTAG, normalize_tag
from app.models.types import utcnow
from app.web.urls import url_for_name

# http(s) addresses up to the next space or character that can't be in one unescaped. What ends
# a sentence (a full stop, a closing bracket...) is trimmed off below.
URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,:;!?*'\"\u201d\u2019\u00bb"  # and closing quotation marks
CLOSERS = {")": "(", "]": "["}
# "@name" where a mention may start (the rule the stored mentions of posts follow).
MENTION = MENTION_PATTERN
MENTION_OR_HASHTAG = re.compile(f"{MENTION.pattern}|{HASHTAG.pattern}")
# link_text() without stored mentions (an about-me text) links every "@name".
_EVERY_NAME = object()
_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def _trim(url: str) -> str:
    """``url`` without the punctuation of the sentence around it.

    A closing bracket stays when the address opened one (Wikipedia-style addresses), and goes
    when it closes a bracket the sentence opened: "(see https://example.com/a)".
    """
    while url:
        last = url[-1]
        unopened = last in CLOSERS and url.count(last) > url.count(CLOSERS[last])
        if last not in TRAILING_PUNCTUATION and not unopened:
            break
        url = url[:-1]
    return url


def link_text(text: str, mentions: str | object | None = _EVERY_NAME) -> Markup:
    """``text`` as HTML in which each http(s) address is a link that leaves the site, each
    "@name" a link to that profile (a name nobody has leads to the profile's 404 page) and each
    "#tag" a link to the tag's page.

    A post's text passes ``mentions``, what was stored of the names it mentioned
    (:data:`app.listings.mentions.MENTION_LINKS`, None for none): then only those names are
    links, each to the profile of the account it was bound to, under its name now.

    Links out open in the same tab; ``nofollow ugc`` tells search engines they are users' links,
    ``noopener noreferrer`` gives the other site no handle on this page or its address.
    """
    names = None if mentions is _EVERY_NAME else parse_mention_links(mentions)
    parts, start = [], 0
    for match in URL.finditer(text):
        url = _trim(match.group())
        if "://" not in url or url.endswith("://"):
            continue
        parts.append(_link_mentions(text[start : match.start()], names))
        parts.append(
            Markup('<a href="{0}" rel="nofollow ugc noopener noreferrer">{0}</a>').format(url)
        )
        start = match.start() + len(url)
    parts.append(_link_mentions(text[start:], names))
    return Markup("").join(parts)


def _link_mentions(text: str, names: dict[str, str] | None) -> Markup:
    """``text`` (no web addresses in it) as HTML, each @mention a link to that profile (only
    those in ``names``, to the name given there, unless ``names`` is None) and each #hashtag to
    that tag's page."""
    parts, start = [], 0
    for match in MENTION_OR_HASHTAG.finditer(text):
        if match.group(1) is None:
            href = url_for_name("search.tag", "tag", normalize_tag(match.group(2)))
        else:
            name = match.group(1)
            if names is not None:
                name = names.get(name.lower())
                if name is None:
                    continue
            href = url_for_name("main.user", "username", name)
        parts.append(escape(text[start : match.start()]))
        parts.append(Markup('<a href="{0}">{1}</a>').format(href, match.group()))
        start = match.end()
    parts.append(escape(text[start:]))
    return Markup("").join(parts)


def exact_time(when: datetime) -> str:
    """The date and time in words, e.g. "26 November 2026, 07:30 UTC" (for tooltips and
    screen readers, next to a relative time)."""
    return f"{when.day} {when:%B %Y, %H:%M} UTC"


def relative_time(when: datetime, now: datetime | None = None) -> str:
    """Say how long ago ``when`` was, e.g. "5 minutes ago" or "just now"."""
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 45:
        return "just now"
    for length, name in _UNITS:
        if seconds >= length:
            count = seconds // length
            return f"{count} {name}{'' if count == 1 else 's'} ago"
    return "1 minute ago"
