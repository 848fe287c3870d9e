"""Who follows whom: the ``followers`` table, who is on a home timeline, and the statements
that count follows (built once: profiles run them on every view)."""

from functools import cache

import sqlalchemy as sa

from app.extensions import db
from app.models.params import OTHER_ID, USER_ID
from app.models.types import UTCDateTime, utcnow

followers = sa.Table(
    "followers",
    db.metadata,
    sa.Column(
        "follower_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "followed_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    # When the follow began: follower lists show the newest first.
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    # The primary key answers "does X follow Y"; these list (and count) who follows X and whom
    # X follows, newest first, a page being one range of the index however long the list is.
    sa.Index("ix_followers_followed_id_created_at", "followed_id", "created_at", "follower_id"),
    sa.Index("ix_followers_follower_id_created_at", "follower_id", "created_at", "followed_id"),
    sa.CheckConstraint("follower_id <> followed_id", name="no_self_follow"),
)


def timeline_authors_of(user_id: sa.ColumnElement[int]) -> sa.CompoundSelect:
    """Ids (column ``user_id``) of the authors on the home timeline of the user ``user_id``.

    Keep in step with :func:`on_timeline_of`, which says the same of one author.
    """
    return sa.union_all(
        sa.select(followers.c.followed_id.label("user_id")).where(
            followers.c.follower_id == user_id
        ),
        sa.select(user_id.label("user_id")),
    )


def on_timeline_of(
    user_id: sa.ColumnElement[int], author_id: sa.ColumnElement[int]
) -> sa.ColumnElement[bool]:
    """True if ``author_id``'s posts are on ``user_id``'s home timeline.

    The same set as :func:`timeline_authors_of`, asked one author at a time: a probe of the
    followers primary key, whatever the number of accounts followed.
    """
    follows = (
        sa.select(followers.c.followed_id)
        .where(followers.c.follower_id == user_id, followers.c.followed_id == author_id)
        .exists()
    )
    return sa.or_(author_id == user_id, follows)


def shown_on_home_of(user_id: sa.ColumnElement[int], post: sa.FromClause) -> sa.ColumnElement[bool]:
    """True for the posts of ``post`` (the post table or an alias) that the home timeline of
    ``user_id`` shows, among those by its authors: every post that answers nothing, and a
    reply only if it is the reader's own, answers the reader, or answers someone they follow.

    Mastodon's rule: home is not filled with halves of conversations the reader cannot follow.
    """
    return sa.or_(
        post.c.in_reply_to_user_id.is_(None),
        post.c.user_id == user_id,
        on_timeline_of(user_id, post.c.in_reply_to_user_id),
    )


@cache
def follows_statement() -> sa.Select[tuple[int]]:
    """Whether ``user_id`` follows ``other_id`` (a row, or none)."""
    return sa.select(followers.c.follower_id).where(
        followers.c.follower_id == USER_ID, followers.c.followed_id == OTHER_ID
    )


@cache
def followers_count_statement() -> sa.Select[tuple[int]]:
    """How many users follow ``user_id``."""
    return sa.select(sa.func.count()).where(followers.c.followed_id == USER_ID)


@cache
def following_count_statement() -> sa.Select[tuple[int]]:
    """How many users ``user_id`` follows."""
    return sa.select(sa.func.count()).where(followers.c.follower_id == USER_ID)
