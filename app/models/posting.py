"""Writing a new post from the post box, in as few statements and as little Python as it takes.

A post is the write the busiest pages wait on: under ``bench.writes`` two workers serve posts
and home pages in turn, so home keeps half its read-only rate only if a post costs no more than
a home page. Through the ORM a post cost more (its unit of work, the double-submit check as a
statement of its own, the index written from a flush listener), so a post that mentions nobody
is written here with Core statements: the post, sent twice or not, in one ``INSERT ... SELECT
... RETURNING``, then its words and its tags' links (:func:`app.models.search.write_index`);
on PostgreSQL all three in one statement. The database's triggers do the rest as for any post
(stored counts, home feeds). A post that mentions someone goes through the ORM as before: its
flush listeners bind the mentions, notify and queue the emails.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.database import DriverStatement
from app.extensions import db
from app.models.notifications import mentioned_names
from app.models.post import Post
from app.models.search import (
    PostSearch,
    SearchPairs,
    SearchTerms,
    Tag,
    hashtags,
    link_new_tags,
    post_tag,
    search_tokens,
)
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


@cache
def _publish_in_one_statement() -> sa.Select:
    """PostgreSQL: :func:`_insert_unless_repeated`, the post's words (``terms``) and the links
    to those of its tags (``names``) that exist, in one statement (data-modifying ``WITH``
    clauses): one round trip, not three. It returns the new post's id and how many tags it
    linked; no row for a double submit (then the other two insert nothing either)."""
    new_post = _insert_unless_repeated().cte("new_post")
    words = (
        sa.insert(PostSearch.__table__)
        .from_select(
            ["post_id", "terms", "pairs"],
            sa.select(
                new_post.c.id,
                sa.bindparam("terms", type_=SearchTerms()),
                sa.bindparam("pairs", type_=SearchPairs()),
            ),
        )
        .cte("words")
    )
    tag = Tag.__table__
    # ``= ANY(array)``, not ``IN (list)``: one text for any number of tags (DriverStatement).
    names = tag.c.name == sa.any_(sa.bindparam("names", type_=postgresql.ARRAY(tag.c.name.type)))
    found = sa.select(tag.c.id, new_post.c.id).select_from(new_post.join(tag, names))
    links = (
        postgresql.insert(post_tag)
        .from_select(["tag_id", "post_id"], found)
        .on_conflict_do_nothing()
        .returning(post_tag.c.tag_id)
        .cte("links")
    )
    linked = sa.select(sa.func.count()).select_from(links).scalar_subquery()
    return sa.select(new_post.c.id, linked).add_cte(words)


@cache
def _postgresql_statement(dialect: sa.Dialect) -> DriverStatement:
    """:func:`_publish_in_one_statement` as compiled text: through ``connection.execute()``
    (its cache key, its ``IN`` list compiled again) a post cost 0.2-0.3 ms more of the app's
    CPU (L, in-process)."""
    return DriverStatement(_publish_in_one_statement(), dialect)


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
    if connection.dialect.name != "postgresql":
        return _publish_on_sqlite(connection, body, params)
    names = hashtags(body)
    tokens = search_tokens(body)
    params |= {"terms": tokens, "pairs": tokens, "names": names}
    written = _postgresql_statement(connection.dialect).execute(connection, params).first()
    if written is None:
        return None
    post_id, linked = written
    if linked < len(names):
        link_new_tags(connection, post_id, names)
    return post_id


def _publish_on_sqlite(connection: sa.Connection, body: str, params: dict) -> int | None:
    """SQLite: the post (:func:`_insert_unless_repeated`), its words, the links to its tags,
    as :func:`app.models.search.write_index` writes a new post's, each statement sent as its
    compiled text (:class:`app.database.DriverStatement`): through ``connection.execute()``
    the three cost a post 0.4 ms of SQLAlchemy's Python above SQLite's own work."""
    dialect = connection.dialect
    post_id = _sqlite_statement("post", dialect).execute(connection, params).scalar()
    if post_id is None:
        return None
    tokens = search_tokens(body)
    words = {"post_id": post_id, "terms": tokens, "pairs": tokens}
    _sqlite_statement("words", dialect).execute(connection, words)
    names = hashtags(body)
    if names:
        link = _sqlite_link_statement(len(names), dialect)
        values = {"post_id": post_id} | {f"name_{i}": name for i, name in enumerate(names)}
        if link.execute(connection, values).rowcount < len(names):
            link_new_tags(connection, post_id, names)
    return post_id


@cache
def _sqlite_statement(name: str, dialect: sa.Dialect) -> DriverStatement:
    """The post's ``INSERT`` and its words' as compiled text for SQLite (built once each)."""
    if name == "post":
        return DriverStatement(_insert_unless_repeated(), dialect)
    words = sa.insert(PostSearch.__table__).values(
        post_id=sa.bindparam("post_id", type_=sa.Integer),
        terms=sa.bindparam("terms", type_=SearchTerms()),
        pairs=sa.bindparam("pairs", type_=SearchPairs()),
    )
    return DriverStatement(words, dialect)


@lru_cache(maxsize=16)
def _sqlite_link_statement(count: int, dialect: sa.Dialect) -> DriverStatement:
    """Link ``post_id`` to the existing tags named ``name_0`` ... ``name_<count - 1>``, leaving
    out links it has: one text per number of tags (a post has a few), as a ``DriverStatement``
    takes no ``IN`` list."""
    tag = Tag.__table__
    names = [sa.bindparam(f"name_{i}", type_=tag.c.name.type) for i in range(count)]
    found = sa.select(tag.c.id, sa.bindparam("post_id", type_=sa.Integer)).where(
        tag.c.name.in_(names)
    )
    link = sqlite.insert(post_tag).from_select(["tag_id", "post_id"], found)
    return DriverStatement(link.on_conflict_do_nothing(), dialect)
