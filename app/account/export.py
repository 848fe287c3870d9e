"""A user's data as one JSON document, produced piece by piece.

Posts (and follows) are read with ``yield_per``: a server-side cursor on PostgreSQL, a stepped
cursor on SQLite, so a user with 100,000 posts costs one batch of rows in memory at a time.
"""

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Like, Post, User, UserSession, followers, sessions_of
from app.models.types import utcnow

# Version 2: each follow is {"username", "since"} (version 1 listed usernames alone).
# Version 3 adds the profile's last_login_at and the list of sessions.
# Version 4: each post says what it answers ("in_reply_to": {"id", "username"}, or null).
# Version 5 adds "likes": the posts one liked, oldest like first ({"post_id", "username" of its
# author, "liked_at"}).
FORMAT = "chirp-export/5"


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def profile(user: User) -> dict:
    """What the export says about the user themselves."""
    return {
        "username": user.username,
        "email": user.email,
        "email_confirmed_at": _time(user.email_confirmed_at),
        "about_me": user.about_me,
        "created_at": _time(user.created_at),
        "last_seen": _time(user.last_seen),
        "last_login_at": _time(user.last_login_at),
    }


def _session(row: UserSession) -> dict:
    # Where and with what one is logged in; never the secret (only its hash is kept anyway).
    return {
        "logged_in_at": _time(row.created_at),
        "last_active_at": _time(row.last_seen),
        "expires_at": _time(row.expires_at),
        "remember_me": row.remember,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
    }


def _json_array(stmt: sa.Select, batch_size: int, to_json) -> Iterator[str]:
    """The rows of ``stmt`` as a JSON array, one text chunk per batch of rows."""
    yield "["
    result = db.session.execute(stmt.execution_options(yield_per=batch_size))
    separator = ""
    for rows in result.partitions():
        yield separator + ",".join(json.dumps(to_json(row), ensure_ascii=False) for row in rows)
        separator = ","
    yield "]"


def _follow(row: sa.Row) -> dict:
    return {"username": row.username, "since": _time(row.created_at)}


def _post(row: sa.Row) -> dict:
    return {
        "id": row.id,
        "timestamp": _time(row.timestamp),
        "body": row.body,
        "edited_at": _time(row.edited_at),
        # Hidden by a moderator: still the author's, but nobody else sees it.
        "hidden_at": _time(row.hidden_at),
        # A reply: the post it answers (which may since have been deleted) and its author
        # (None once that account is gone).
        "in_reply_to": {"id": row.in_reply_to_id, "username": row.in_reply_to_username}
        if row.in_reply_to_id is not None
        else None,
    }


def _like(row: sa.Row) -> dict:
    # The post by its id and author: its text is its author's to export, not the liker's.
    return {"post_id": row.post_id, "username": row.username, "liked_at": _time(row.created_at)}


def _likes_oldest_first(user: User) -> sa.Select:
    """The posts ``user`` liked, oldest like first, with each one's author (along the
    (user_id, created_at, post_id) index)."""
    return (
        sa.select(Like.post_id, User.username, Like.created_at)
        .join(Post, Post.id == Like.post_id)
        .join(User, User.id == Post.user_id)
        .where(Like.user_id == user.id)
        .order_by(Like.created_at, Like.post_id)
    )


def export_json(user: User, batch_size: int) -> Iterable[str]:
    """The whole export of ``user`` as a sequence of text chunks forming one JSON object."""
    header = {
        "format": FORMAT,
        "exported_at": _time(utcnow()),
        "profile": profile(user),
        # A few dozen at most (see MAX_SESSIONS_PER_USER): read at once.
        "sessions": [_session(row) for row in db.session.scalars(sessions_of(user))],
    }
    yield json.dumps(header, ensure_ascii=False)[:-1]  # leave the object open for the lists
    follows = [
        ("following", user.following_list()),
        ("followers", user.followers_list()),
    ]
    for key, people in follows:
        yield f', "{key}": '
        columns = people.with_only_columns(User.username, followers.c.created_at)
        yield from _json_array(columns, batch_size, _follow)
    yield ', "posts": '
    yield from _json_array(user.posts_oldest_first(), batch_size, _post)
    yield ', "likes": '
    yield from _json_array(_likes_oldest_first(user), batch_size, _like)
    yield "}\n"
