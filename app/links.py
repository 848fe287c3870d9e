"""Web addresses in user text become links; everything else stays escaped text."""

import re

from markupsafe import Markup, escape

# http(s) addresses up to the next space or character that can't be in one unescaped. What ends
# a sentence (a full stop, a closing bracket...) is trimmed off below.
URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,:;!?*'\"\u201d\u2019\u00bb"  # and closing quotation marks
CLOSERS = {")": "(", "]": "["}


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


def link_urls(text: str) -> Markup:
    """``text`` as HTML in which each http(s) address is a link that leaves the site.

    Links open in the same tab; ``nofollow ugc`` tells search engines they are users' links,
    ``noopener noreferrer`` gives the other site no handle on this page or its address.
    """
    parts, start = [], 0
    for match in URL.finditer(text):
        url = _trim(match.group())
        if "://" not in url or url.endswith("://"):
            continue
        parts.append(escape(text[start : match.start()]))
        parts.append(
            Markup('<a href="{0}" rel="nofollow ugc noopener noreferrer">{0}</a>').format(url)
        )
        start = match.start() + len(url)
    parts.append(escape(text[start:]))
    return Markup("").join(parts)
