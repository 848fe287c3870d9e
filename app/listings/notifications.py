"""The notifications page and the unread count: what someone is shown of their notifications.

Which notifications are shown is decided here, in the statement that lists or counts them, so a
later suspension, a hidden post or a kind switched off changes the list and the count at once:
nothing from a suspended account, nothing about a hidden post, no kind the reader switched off.

Likes of one post and follows of one day make one line ("ana and 12 others liked your post"): the
line stands for the group's newest notification that is shown, and the list is those newest
ones, newest first, paged by id like any keyset listing.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.listings.bundles import TupleBundle
from app.listings.keyset import BadCursor, Keyset, PageQuery, PreparedListing
from app.models import MAX_ID, Notification, Post, User
from app.models.params import USER_ID
from app.web.memo import Memo

UNREAD_CAP = 100
"""The bell counts up to this many ("99+" beyond): the count costs the same however many are
unread."""
GROUP_CAP = 1000
"""A line counts the others in its group up to this many: a post liked by thousands in a day
costs no more to list."""

KINDS = sa.bindparam("kinds", type_=sa.Integer)
"""The kinds shown (bits of app.models.notifications): the reader's choice and the tab's."""
READ_ID = sa.bindparam("read_id", type_=sa.Integer)

_ACTOR = User.__table__.alias("actor")
_POST = Post.__table__.alias("about_post")
_SIBLING = Notification.__table__.alias("sibling")
_SIBLING_ACTOR = User.__table__.alias("sibling_actor")
_N = Notification.__table__


def _shown(notification: sa.FromClause, actor: sa.FromClause, post: sa.FromClause | None):
    """The rule for whether a notification is shown (``post`` None: its post need not be read,
    as for the other members of a group, which are about the same post)."""
    rule = [
        notification.c.kind.op("&")(KINDS) != 0,
        actor.c.suspended_at.is_(None),
    ]
    if post is not None:
        rule.append(sa.or_(notification.c.post_id.is_(None), post.c.hidden_at.is_(None)))
    return sa.and_(*rule)


def _same_group() -> list[sa.ColumnElement[bool]]:
    return [
        _SIBLING.c.user_id == _N.c.user_id,
        _SIBLING.c.group_key == _N.c.group_key,
        _SIBLING_ACTOR.c.id == _SIBLING.c.actor_id,
        _SIBLING_ACTOR.c.suspended_at.is_(None),
    ]


# A line is a notification without a newer one shown in its group.
_NEWER_IN_GROUP = (
    sa.select(_SIBLING.c.id).where(*_same_group(), _SIBLING.c.id > _N.c.id).correlate(_N).exists()
)
_GROUP_SIZE = sa.case(
    (_N.c.group_key.is_(None), 1),
    else_=sa.select(sa.func.count())
    .select_from(
        sa.select(_SIBLING.c.id)
        .where(*_same_group())
        .correlate(_N)
        .limit(GROUP_CAP + 1)
        .subquery("group_members")
    )
    .scalar_subquery(),
)


class NotificationLine(NamedTuple):
    """One line of the notifications page."""

    id: int
    kind: int
    created_at: datetime
    actor_username: str
    post_id: int | None
    post_body: str | None
    # How many notifications the line stands for (1 but for grouped likes and follows).
    group_size: int

    @property
    def others(self) -> int:
        """How many besides the actor named."""
        return self.group_size - 1

    @property
    def others_label(self) -> str:
        """:attr:`others` in words' place: "1000+" once the group was counted to its cap."""
        return f"{GROUP_CAP}+" if self.others >= GROUP_CAP else str(self.others)


NOTIFICATION_LINE = TupleBundle(
    NotificationLine,
    _N.c.id,
    _N.c.kind,
    _N.c.created_at,
    _ACTOR.c.username,
    _N.c.post_id,
    _POST.c.body,
    _GROUP_SIZE,
)


def _decode_id(cursor: str) -> tuple[int]:
    try:
        ident = int(cursor)
    except ValueError:
        raise BadCursor(cursor) from None
    if not 0 < ident <= MAX_ID:
        raise BadCursor(cursor)
    return (ident,)


NEWEST_FIRST = Keyset(
    columns=(_N.c.id,), descending=True, encode=lambda line: str(line.id), decode=_decode_id
)


def _lines() -> sa.Select[tuple[NotificationLine]]:
    return (
        sa.select(NOTIFICATION_LINE)
        .select_from(_N)
        .join(_ACTOR, _ACTOR.c.id == _N.c.actor_id)
        .outerjoin(_POST, _POST.c.id == _N.c.post_id)
        .where(
            _N.c.user_id == USER_ID,
            _shown(_N, _ACTOR, _POST),
            sa.or_(_N.c.group_key.is_(None), ~_NEWER_IN_GROUP),
        )
    )


_LINES = PreparedListing(NEWEST_FIRST, _lines)


def notification_lines(user: User, kinds: int) -> PageQuery:
    """Pages of the lines of ``user``'s notifications of ``kinds`` (also among those they
    chose to be shown), newest first."""
    return _LINES.pages(user_id=user.id, kinds=kinds & user.notify_kinds)


UNREAD = sa.select(sa.func.count()).select_from(
    sa.select(_N.c.id)
    .join(_ACTOR, _ACTOR.c.id == _N.c.actor_id)
    .outerjoin(_POST, _POST.c.id == _N.c.post_id)
    .where(_N.c.user_id == USER_ID, _N.c.id > READ_ID, _shown(_N, _ACTOR, _POST))
    .limit(UNREAD_CAP)
    .subquery("unread")
)


# The bell is on every page; a count is kept while its user's notifications stay as they
# were (the versions on the user row, as the unread poll's ETag), for up to a minute so that
# a post hidden or an account suspended since leaves it too.
_UNREAD: Memo[int] = Memo("unread", seconds=60)


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications are unread (at most :data:`UNREAD_CAP`).

    0 while nothing changed since they last read them (no query), else one statement (at
    most once a minute per process while nothing changes): the newest notifications above
    their read marker, counted in the index up to the cap.
    """
    if user.notifications_version == user.notifications_seen_version:
        return 0
    values = {"user_id": user.id, "read_id": user.notifications_read_id, "kinds": user.notify_kinds}
    # created_at too: SQLite may give a deleted account's id to a new one.
    key = (*values.values(), user.notifications_version, user.created_at)
    return _UNREAD.get(key, lambda: db.session.scalar(UNREAD, values) or 0)


def mark_read(user: User, newest_id: int | None) -> bool:
    """Note that ``user`` has seen their notifications up to ``newest_id`` (the newest shown to
    them), and at the version of them loaded with the user; False, and nothing written, if that
    was known already."""
    read_id = max(user.notifications_read_id, newest_id or 0)
    seen = user.notifications_version
    if read_id == user.notifications_read_id and seen == user.notifications_seen_version:
        return False
    # Not through the ORM, which would also move ``updated_at`` (the profile's last change).
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(notifications_read_id=read_id, notifications_seen_version=seen)
        .values(updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )
    so.attributes.set_committed_value(user, "notifications_read_id", read_id)
    so.attributes.set_committed_value(user, "notifications_seen_version", seen)
    return True
