"""The ``@name`` links of a post card, from the mentions stored with the post.

A card links each ``@name`` its post mentioned to the account that had the name when the post was
written (or edited), at that account's current name: a rename moves the link with the account,
and whoever takes the old name later gets none. The links of a page's cards come in the page's
own statement, as one short text per card (:data:`MENTION_LINKS`), not a statement per card.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.models import Post, User, mention


class joined_text(FunctionElement):
    """Text values of a column joined with spaces: ``group_concat`` on SQLite, ``string_agg``
    on PostgreSQL (NULL over no rows on both)."""

    type = sa.String()
    inherit_cache = True


@compiles(joined_text)
def _joined_text_sqlite(element, compiler, **kw):
    return f"group_concat({compiler.process(element.clauses, **kw)}, ' ')"


@compiles(joined_text, "postgresql")
def _joined_text_postgresql(element, compiler, **kw):
    return f"string_agg({compiler.process(element.clauses, **kw)}, ' ')"


_MENTIONED = User.__table__.alias("mentioned")
MENTION_LINKS = (
    sa.select(joined_text(mention.c.name_key + "=" + _MENTIONED.c.username))
    .select_from(mention.join(_MENTIONED, _MENTIONED.c.id == mention.c.user_id))
    .where(mention.c.post_id == Post.id)
    .correlate(Post)
    .scalar_subquery()
)
"""For a card's statement: ``name=username`` for each name the post mentions (as written,
lower-cased, and the mentioned account's name now), separated by spaces; NULL if none."""


def parse_mention_links(links: str | None) -> dict[str, str]:
    """:data:`MENTION_LINKS`' text as a mapping of lower-cased written name to current name."""
    if not links:
        return {}
    return dict(pair.split("=", 1) for pair in links.split(" "))
