"""Database models and the named queries the pages use: accounts and posts here, roles,
reports and the audit log in :mod:`app.models.moderation`, login sessions in
:mod:`app.models.sessions`."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.pagination import Keyset, decode_text, decode_time_id, encode_time_id
from app.types import UTCDateTime, utcnow
from app.urls import url_for_id

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{3,32}$")
POST_MAX_LENGTH = 140
ABOUT_ME_MAX_LENGTH = 140
LAST_SEEN_INTERVAL = timedelta(minutes=1)
# The same text posted again within this time is the form sent twice (a double click).
REPEAT_POST_INTERVAL = timedelta(seconds=10)

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

user_roles = sa.Table(
    "user_roles",
    db.metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "role_id", sa.Integer, sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    # The primary key serves "roles of X"; this serves "who holds role R" (and the role FK).
    sa.Index("ix_user_roles_role_id_user_id", "role_id", "user_id"),
)


class User(UserMixin, db.Model):
    """A person with an account."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(32))
    # Lower-cased copy of username: makes uniqueness and look-ups case-insensitive on any database.
    username_key: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    # When the owner proved they read mail at ``email``; None until then (they may not post).
    email_confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))
    about_me: so.Mapped[str | None] = so.mapped_column(sa.String(ABOUT_ME_MAX_LENGTH))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_seen: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # When the login form last let this account in (the owner sees it on their profile).
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set by a moderator: cannot log in, posts hidden from everyone else. Indexed because every
    # timeline query asks for the (few) suspended accounts.
    suspended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    # Set by the operator (``flask users disable``): cannot log in; posts stay visible.
    disabled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    posts: so.WriteOnlyMapped[Post] = so.relationship(
        back_populates="author", passive_deletes=True, foreign_keys="Post.user_id"
    )
    roles: so.Mapped[list[Role]] = so.relationship(
        secondary=user_roles, passive_deletes=True, order_by="Role.name"
    )
    following: so.WriteOnlyMapped[User] = so.relationship(
        secondary=followers,
        primaryjoin=(followers.c.follower_id == id),
        secondaryjoin=(followers.c.followed_id == id),
        back_populates="followers",
        passive_deletes=True,
    )
    followers: so.WriteOnlyMapped[User] = so.relationship(
        secondary=followers,
        primaryjoin=(followers.c.followed_id == id),
        secondaryjoin=(followers.c.follower_id == id),
        back_populates="following",
        passive_deletes=True,
    )

    # The login session (app.models.sessions.LoginSession) this instance was loaded through or
    # has just started, in a request: not a column, so not annotated.
    login_session = None

    # Flask-Login's mixin compares users by get_id(), a login session's key here, which an
    # account has none or several of. A user is its row instead: one object per row in a
    # database session, as for every other model.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @so.validates("username")
    def _keep_username_key(self, _key: str, username: str) -> str:
        self.username_key = username.lower()
        return username

    @so.validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return normalize_email(email)

    @property
    def is_confirmed(self) -> bool:
        """True once the user has confirmed their email address."""
        return self.email_confirmed_at is not None

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (werkzeug's scrypt unless configured otherwise).

        Every login session of the account ends with the old password, however it is changed
        (the account pages, a reset link, ``flask shell``); the password page then gives its
        own browser a new one.
        """
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches the stored hash."""
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember-me cookies: the key of the login
        session this user was loaded through or has just started (see app/sessions.py)."""
        if self.login_session is None:
            raise RuntimeError("start a login session first: app.sessions.start_session")
        return self.login_session.key

    def end_sessions(self, keep: str | None = None) -> None:
        """Log this account out everywhere (except the session ``keep``), at once: every copy
        of those sessions' cookies stops working."""
        if self.id is not None:
            end_sessions_of(self.id, keep)

    def password_fingerprint(self) -> str:
        """A keyed digest of the password hash: reveals nothing, changes with the password
        (emailed links name it, so that a new password voids them)."""
        key = current_app.config["SECRET_KEY"].encode()
        message = (self.password_hash or "").encode()
        return hmac.new(key, message, "sha256").hexdigest()[:24]

    def avatar(self, size: int = 64) -> str:
        """URL of this user's identicon, served by this site."""
        return url_for_id("main.avatar", "user_id", self.id, size=size)

    def follow(self, user: User) -> None:
        """Follow ``user``; following someone already followed changes nothing."""
        if self.id is None or user.id is None:
            db.session.flush()  # new users need their ids first
        if user.id == self.id:
            raise ValueError("You cannot follow yourself.")
        # Two simultaneous follows leave one row and no error.
        db.session.execute(insert_new(followers).values(follower_id=self.id, followed_id=user.id))

    def unfollow(self, user: User) -> None:
        """Stop following ``user``; a no-op if not following."""
        db.session.execute(
            sa.delete(followers).where(
                followers.c.follower_id == self.id, followers.c.followed_id == user.id
            )
        )

    def is_following(self, user: User) -> bool:
        """True if this user follows ``user``."""
        values = {"user_id": self.id, "other_id": user.id}
        return db.session.scalar(_prepared_follows(), values) is not None

    def followers_count(self) -> int:
        """How many users follow this one."""
        return db.session.scalar(_prepared_followers_count(), {"user_id": self.id}) or 0

    def following_count(self) -> int:
        """How many users this one follows."""
        return db.session.scalar(_prepared_following_count(), {"user_id": self.id}) or 0

    def posts_count(self, viewer: User | None = None) -> int:
        """How many posts this user has written that ``viewer`` may see."""
        values = {"user_id": self.id, "viewer_id": viewer.id if viewer else None}
        return db.session.scalar(_prepared_posts_count(), values) or 0

    def timeline_authors(self) -> sa.CompoundSelect:
        """Ids of the users whose posts are on this user's home timeline: followed ones and self."""
        return timeline_authors_of(sa.bindparam("timeline_user_id", self.id, type_=sa.Integer))

    def following_posts(self) -> sa.Select[tuple[Post]]:
        """Posts by this user and everyone they follow, newest first.

        Correct for any use; pages read the same posts with
        :func:`app.timeline.home_timeline_page`, which stays fast however many posts there are.
        """
        return (
            sa.select(Post)
            .where(Post.user_id.in_(self.timeline_authors()))
            .where(visible_to(self))
            .options(so.joinedload(Post.author))
            .order_by(Post.timestamp.desc(), Post.id.desc())
        )

    def authored_posts(self, viewer: User | None = None) -> sa.Select[tuple[Post]]:
        """This user's posts that ``viewer`` may see, newest first."""
        return (
            sa.select(Post)
            .where(Post.user_id == self.id)
            .where(visible_to(viewer))
            .options(so.joinedload(Post.author))
            .order_by(Post.timestamp.desc(), Post.id.desc())
        )

    def posts_oldest_first(self) -> sa.Select[tuple[int, datetime, str, datetime, datetime]]:
        """This user's posts as rows for a data export, oldest first.

        Each row is (id, timestamp, body, edited_at, hidden_at): when it was last edited and
        when a moderator hid it, or None.
        """
        return (
            sa.select(Post.id, Post.timestamp, Post.body, Post.edited_at, Post.hidden_at)
            .where(Post.user_id == self.id)
            .order_by(Post.timestamp, Post.id)
        )

    def just_posted(self, body: str, now: datetime | None = None) -> bool:
        """True if this user's newest post says ``body`` and is under a few seconds old.

        Posting ``body`` now would be the form sent twice (see :data:`REPEAT_POST_INTERVAL`).
        """
        newest = db.session.execute(
            sa.select(Post.body, Post.timestamp)
            .where(Post.user_id == self.id)
            .order_by(Post.timestamp.desc(), Post.id.desc())
            .limit(1)
        ).first()
        return (
            newest is not None
            and newest.body == body
            and (now or utcnow()) - newest.timestamp < REPEAT_POST_INTERVAL
        )

    def following_list(self) -> sa.Select[tuple[User]]:
        """Users this one follows, the most recently followed first."""
        return (
            sa.select(User)
            .join(followers, followers.c.followed_id == User.id)
            .where(followers.c.follower_id == self.id)
            .order_by(followers.c.created_at.desc(), followers.c.followed_id.desc())
        )

    def followers_list(self) -> sa.Select[tuple[User]]:
        """Users following this one, the newest follower first."""
        return (
            sa.select(User)
            .join(followers, followers.c.follower_id == User.id)
            .where(followers.c.followed_id == self.id)
            .order_by(followers.c.created_at.desc(), followers.c.follower_id.desc())
        )

    @property
    def is_active(self) -> bool:
        """Flask-Login's flag: suspended and disabled accounts cannot log in or stay logged in."""
        return self.suspended_at is None and self.disabled_at is None

    @property
    def is_suspended(self) -> bool:
        """True while a moderator has suspended this account."""
        return self.suspended_at is not None

    def has_role(self, name: str) -> bool:
        """True if this user holds role ``name`` or a role that includes it (admin > moderator)."""
        return any(name in ROLE_INCLUDES.get(role.name, ()) for role in self.roles)

    def may_suspend(self, user: User) -> bool:
        """True if this user may suspend ``user`` (or lift it): a moderator may suspend anyone
        but themselves, and only an admin may suspend staff."""
        if user.id == self.id or not self.has_role("moderator"):
            return False
        return not user.roles or self.has_role("admin")

    def role_names(self) -> list[str]:
        """Names of the roles granted to this user, alphabetically."""
        return [role.name for role in self.roles]

    def grant_role(self, name: str) -> bool:
        """Give this user role ``name``; returns False if they already had it."""
        role = role_named(name)
        if role in self.roles:
            return False
        self._renew_sessions()
        self.roles.append(role)
        return True

    def revoke_role(self, name: str) -> bool:
        """Take role ``name`` away; returns False if they did not have it."""
        for role in self.roles:
            if role.name == name:
                self._renew_sessions()
                self.roles.remove(role)
                return True
        return False

    def _renew_sessions(self) -> None:
        # Powers change: each login of the account gets a new id and CSRF secret on its next
        # request. Before the role change itself, whose flush may fail on a simultaneous one.
        if self.id is not None:
            mark_sessions_for_renewal(self.id)

    def touch_last_seen(self, now: datetime | None = None) -> bool:
        """Record activity; returns True only when ``last_seen`` actually changed.

        Writes at most once per ``LAST_SEEN_INTERVAL`` so ordinary page views stay read-only.
        """
        now = now or utcnow()
        if self.last_seen is not None and now - self.last_seen < LAST_SEEN_INTERVAL:
            return False
        self.last_seen = now
        return True


class Post(db.Model):
    """A short message."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    body: so.Mapped[str] = so.mapped_column(sa.String(POST_MAX_LENGTH))
    timestamp: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # The author's last edit; ``timestamp`` keeps the time it was first posted.
    edited_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set when a moderator hides the post: only its author (and moderators) still see it.
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    hidden_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    author: so.Mapped[User] = so.relationship(back_populates="posts", foreign_keys=[user_id])
    hidden_by: so.Mapped[User | None] = so.relationship(foreign_keys=[hidden_by_id])

    __table_args__ = (
        # Both hold the pagination order (timestamp, id), so a page is one index range read
        # newest first, with no sort: explore and the home timeline's recent window use the
        # first, profiles and the timeline's by-author path the second (it also serves the
        # foreign key when a user is deleted). The trailing columns let the visibility rule
        # (and, in the first, whether the author is followed) be checked in the index: the
        # home timeline, and profile post counts, read no table rows until the page is found.
        sa.Index(
            "ix_post_timestamp_id_user_id_hidden_at", "timestamp", "id", "user_id", "hidden_at"
        ),
        sa.Index(
            "ix_post_user_id_timestamp_id_hidden_at", "user_id", "timestamp", "id", "hidden_at"
        ),
        # Deleting an account sets hidden_by_id to NULL where it points to it; this keeps that
        # from scanning every post, while staying tiny (only hidden posts are in it).
        sa.Index(
            "ix_post_hidden_by_id",
            "hidden_by_id",
            sqlite_where=sa.text("hidden_by_id IS NOT NULL"),
            postgresql_where=sa.text("hidden_by_id IS NOT NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"

    @property
    def is_hidden(self) -> bool:
        """True while a moderator has hidden this post."""
        return self.hidden_at is not None

    def is_visible_to(self, viewer: User) -> bool:
        """Whether ``viewer`` (maybe anonymous) may open this post; author and moderators may."""
        if getattr(viewer, "id", None) == self.user_id or viewer.has_role("moderator"):
            return True
        return not self.is_hidden and not self.author.is_suspended

    def edit(self, body: str) -> bool:
        """Replace the text, marking the post edited; returns False if nothing changed."""
        if body == self.body:
            return False
        self.body = body
        self.edited_at = utcnow()
        return True

    def hide(self, moderator: User) -> None:
        """Hide the post from everyone but its author; its open reports are thereby settled."""
        self.hidden_at = utcnow()
        self.hidden_by = moderator
        resolve_reports(self, moderator)

    def unhide(self) -> None:
        """Show the post to everyone again."""
        self.hidden_at = None
        self.hidden_by = None


def insert_new(table: sa.Table | type[db.Model]):
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table``, spelled for the session's database:
    rows whose key is already there are left out, without an error."""
    dialect = db.session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(table).on_conflict_do_nothing()


def visible_to(viewer: User | None) -> sa.ColumnElement[bool]:
    """WHERE condition for posts ``viewer`` may see in listings (timelines, explore, profiles).

    Posts a moderator hid, and every post of a suspended author, are left out, except that
    people always see their own. ``viewer`` None means nobody in particular (the public view).
    """
    return post_visible_to(Post.__table__, None if viewer is None else viewer.id)


def post_visible_to(post: sa.FromClause, viewer_id: int | sa.ColumnElement[int] | None):
    """:func:`visible_to` for any alias of the post table and a viewer id (a value or SQL)."""
    suspended_authors = sa.select(User.id).where(User.suspended_at.is_not(None))
    public = sa.and_(post.c.hidden_at.is_(None), post.c.user_id.not_in(suspended_authors))
    if viewer_id is None:
        return public
    return sa.or_(public, post.c.user_id == viewer_id)


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


def user_by_username(username: str) -> User | None:
    """Find a user by name, ignoring case."""
    return db.session.scalar(_prepared_user_by_name(), {"username_key": username.lower()})


# Statements profiles run on every view, built once with bind parameters: building them, and
# SQLAlchemy working out their cache keys, would cost more than running them.
_USER_ID = sa.bindparam("user_id", type_=sa.Integer)
_OTHER_ID = sa.bindparam("other_id", type_=sa.Integer)
_VIEWER_ID = sa.bindparam("viewer_id", type_=sa.Integer)


@cache
def _prepared_user_by_name() -> sa.Select[tuple[User]]:
    return sa.select(User).where(User.username_key == sa.bindparam("username_key", type_=sa.String))


@cache
def _prepared_follows() -> sa.Select[tuple[int]]:
    return sa.select(followers.c.follower_id).where(
        followers.c.follower_id == _USER_ID, followers.c.followed_id == _OTHER_ID
    )


@cache
def _prepared_followers_count() -> sa.Select[tuple[int]]:
    return sa.select(sa.func.count()).where(followers.c.followed_id == _USER_ID)


@cache
def _prepared_following_count() -> sa.Select[tuple[int]]:
    return sa.select(sa.func.count()).where(followers.c.follower_id == _USER_ID)


@cache
def _prepared_posts_count() -> sa.Select[tuple[int]]:
    return (
        sa.select(sa.func.count())
        .select_from(Post)
        .where(Post.user_id == _USER_ID, post_visible_to(Post.__table__, _VIEWER_ID))
    )


class ProfileStats(NamedTuple):
    """The figures a profile shows, as a viewer sees them."""

    posts: int
    followers: int
    following: int
    followed_by_viewer: bool
    follows_viewer: bool


def profile_stats(user: User, viewer: User | None) -> ProfileStats:
    """``user``'s post, follower and following counts, whether ``viewer`` follows them and
    whether they follow ``viewer``.

    The same figures as :meth:`User.posts_count`, :meth:`User.followers_count`,
    :meth:`User.following_count` and :meth:`User.is_following` (both ways), in one statement.
    """
    values = {"user_id": user.id, "viewer_id": viewer.id if viewer else None}
    return ProfileStats(*db.session.execute(_prepared_profile_stats(), values).one())


@cache
def _prepared_profile_stats() -> sa.Select[tuple[int, int, int, bool, bool]]:
    def follows(follower, followed) -> sa.Exists:
        return sa.exists().where(
            followers.c.follower_id == follower, followers.c.followed_id == followed
        )

    return sa.select(
        _prepared_posts_count().scalar_subquery(),
        _prepared_followers_count().scalar_subquery(),
        _prepared_following_count().scalar_subquery(),
        follows(_VIEWER_ID, _USER_ID),
        follows(_USER_ID, _VIEWER_ID),
    )


def _validated_email(address: str) -> ValidatedEmail | None:
    try:
        return validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None


def normalize_email(address: str) -> str:
    """The one spelling of an email address that accounts store and look-ups compare.

    Lower-case and normalised by email-validator, with the domain in its ASCII (``xn--``) form
    whether it was typed so or in Unicode: every mail server accepts that spelling. A Unicode
    local part keeps the Unicode form; text that is not an address is only trimmed.
    """
    valid = _validated_email(address)
    if valid is None:
        return address.strip().lower()
    return (valid.ascii_email or valid.normalized).lower()


def email_spellings(address: str) -> set[str]:
    """Every spelling an account with ``address`` may have in the database: the normal one, and
    for accounts made before addresses were normalised, the Unicode form and the address as
    typed (lower-cased)."""
    typed = address.strip().lower()
    valid = _validated_email(address)
    if valid is None:
        return {typed}
    return {typed, (valid.ascii_email or valid.normalized).lower(), valid.normalized.lower()}


def user_by_email(email: str) -> User | None:
    """Find a user by email address, ignoring case and how its domain is spelled."""
    return db.session.scalar(
        sa.select(User).where(User.email.in_(email_spellings(email))).order_by(User.id)
    )


POSTS_NEWEST_FIRST = Keyset(
    columns=(Post.timestamp, Post.id),
    descending=True,
    encode=lambda post: encode_time_id(post.timestamp, post.id),
    decode=decode_time_id,
)

USERS_BY_NAME = Keyset(
    columns=(User.username_key,),
    descending=False,
    encode=lambda user: user.username_key,
    decode=decode_text,
)


# The moderation models refer to User and Post, which call on them in turn (roles, reports):
# imported last, once User and Post exist.
from app.models.moderation import (  # noqa: E402
    ROLE_INCLUDES,
    Role,
    resolve_reports,
    role_named,
)
from app.models.sessions import end_sessions_of, mark_sessions_for_renewal  # noqa: E402
