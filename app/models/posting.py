"""Writing a new post from the post box, in as few statements and as little Python as it takes.

A post is the write the busiest pages wait on: under ``bench.writes`` two workers serve posts
and home pages in turn, so home keeps half its read-only rate only if a post costs no more than
a home page. Through the ORM a post cost more (its unit of work, the double-submit check as a
statement of its own, the index written from a flush listener), so a post that mentions nobody
is written here with Core statements: the post, sent twice or not, in one ``INSERT ... SELECT
... RETURNING``, then its words and tags. The database's triggers do the rest as for any post
(stored counts, home feeds). A post that mentions someone goes through the ORM as before: its
flush listeners bind the mentions, notify and queue the emails.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.extensions import db
from app.models.notifications import mentioned_names
from app.models.post import Post
from app.models.search import write_index
from app.models.types import UTCDateTime, utcnow
from app.models.user import REPEAT_POST_INTERVAL

if TYPE_CHECKING:
    from app.models.user import User

_BODY = sa.bindparam("body", type_=Post.body.type)
_NOW = sa.bindparam("now", type_=UTCDateTime)
_SINCE = sa.bindparam("since", type_=UTCDateTime)
_AUTHOR = sa.bindparam("author_id", type_=sa.Integer)


@cache
def _insert_unless_repeated() -> sa.Insert:
    """The new post ``body`` by ``author_id`` at ``now``, with its id returned; no row (and no
    id) if the author's newest post says the same and is newer than ``since``: a double submit.
    Built once: every post runs it."""
    post = Post.__table__
    newest_recent = (
        sa.select(post.c.body)
        .where(post.c.user_id == _AUTHOR, post.c.timestamp > _SINCE)
        .order_by(post.c.timestamp.desc(), post.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    values = sa.select(_BODY, _NOW, _AUTHOR).where(newest_recent.is_distinct_from(_BODY))
    return (
        sa.insert(post)
        .from_select([post.c.body, post.c.timestamp, post.c.user_id], values)
        .returning(post.c.id)
    )


def publish(author: User, body: str) -> int | None:
    """Write ``body`` as a new post by ``author`` (the caller commits); returns its id, or None
    if it is the author's last post sent again (see :meth:`User.just_posted`)."""
    if mentioned_names(body):
        if author.just_posted(body):
            return None
        post = Post(body=body, author=author)
        db.session.add(post)
        db.session.flush()
        return post.id
    now = utcnow()
    params = {"body": body, "now": now, "since": now - REPEAT_POST_INTERVAL, "author_id": author.id}
    connection = db.session.connection()
    post_id = connection.execute(_insert_unless_repeated(), params).scalar()
    if post_id is not None:
        write_index(connection, [(post_id, body)], new=True)
    return post_id
