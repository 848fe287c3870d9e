"""Database models and the named queries the pages use."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, url_for
from flask_login import UserMixin
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.pagination import Keyset, decode_text, decode_time_id, encode_time_id
from app.types import UTCDateTime, utcnow

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{3,32}$")
POST_MAX_LENGTH = 140
ABOUT_ME_MAX_LENGTH = 140
LAST_SEEN_INTERVAL = timedelta(minutes=1)

followers = sa.Table(
    "followers",
    db.metadata,
    sa.Column(
        "follower_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "followed_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    # The primary key serves "whom does X follow"; this serves "who follows X".
    sa.Index("ix_followers_followed_id_follower_id", "followed_id", "follower_id"),
    sa.CheckConstraint("follower_id <> followed_id", name="no_self_follow"),
)


class User(UserMixin, db.Model):
    """A person with an account."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(32))
    # Lower-cased copy of username: makes uniqueness and look-ups case-insensitive on any database.
    username_key: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(256))
    about_me: so.Mapped[str | None] = so.mapped_column(sa.String(ABOUT_ME_MAX_LENGTH))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_seen: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    posts: so.WriteOnlyMapped[Post] = so.relationship(back_populates="author", passive_deletes=True)
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

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @so.validates("username")
    def _keep_username_key(self, _key: str, username: str) -> str:
        self.username_key = username.lower()
        return username

    @so.validates("email")
    def _lower_email(self, _key: str, email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (werkzeug's scrypt unless configured otherwise)."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches the stored hash."""
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login's session key: the id plus a fingerprint of the password hash.

        Changing the password changes the fingerprint, which ends every session (and remember-me
        cookie) made with the old one; see :func:`user_from_session_key`.
        """
        return f"{self.id}:{self.session_fingerprint()}"

    def session_fingerprint(self) -> str:
        """A keyed digest of the password hash: reveals nothing, changes with the password."""
        key = current_app.config["SECRET_KEY"].encode()
        message = (self.password_hash or "").encode()
        return hmac.new(key, message, "sha256").hexdigest()[:24]

    def avatar(self, size: int = 64) -> str:
        """URL of this user's identicon, served by this site."""
        return url_for("main.avatar", user_id=self.id, size=size)

    def follow(self, user: User) -> None:
        """Follow ``user``; following someone already followed changes nothing."""
        if self.id is None or user.id is None:
            db.session.flush()  # new users need their ids first
        if user.id == self.id:
            raise ValueError("You cannot follow yourself.")
        # INSERT .. ON CONFLICT DO NOTHING: two simultaneous follows leave one row and no error.
        insert = sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else pg_insert
        db.session.execute(
            insert(followers)
            .values(follower_id=self.id, followed_id=user.id)
            .on_conflict_do_nothing()
        )

    def unfollow(self, user: User) -> None:
        """Stop following ``user``; a no-op if not following."""
        db.session.execute(
            sa.delete(followers).where(
                followers.c.follower_id == self.id, followers.c.followed_id == user.id
            )
        )

    def is_following(self, user: User) -> bool:
        """True if this user follows ``user``."""
        query = sa.select(followers.c.follower_id).where(
            followers.c.follower_id == self.id, followers.c.followed_id == user.id
        )
        return db.session.scalar(query) is not None

    def followers_count(self) -> int:
        """How many users follow this one."""
        query = sa.select(sa.func.count()).where(followers.c.followed_id == self.id)
        return db.session.scalar(query) or 0

    def following_count(self) -> int:
        """How many users this one follows."""
        query = sa.select(sa.func.count()).where(followers.c.follower_id == self.id)
        return db.session.scalar(query) or 0

    def posts_count(self) -> int:
        """How many posts this user has written."""
        query = sa.select(sa.func.count()).select_from(Post).where(Post.user_id == self.id)
        return db.session.scalar(query) or 0

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
            .options(so.joinedload(Post.author))
            .order_by(Post.timestamp.desc(), Post.id.desc())
        )

    def authored_posts(self) -> sa.Select[tuple[Post]]:
        """This user's own posts, newest first."""
        return (
            sa.select(Post)
            .where(Post.user_id == self.id)
            .options(so.joinedload(Post.author))
            .order_by(Post.timestamp.desc(), Post.id.desc())
        )

    def following_list(self) -> sa.Select[tuple[User]]:
        """Users this one follows, alphabetically."""
        return (
            sa.select(User)
            .join(followers, followers.c.followed_id == User.id)
            .where(followers.c.follower_id == self.id)
            .order_by(User.username_key)
        )

    def followers_list(self) -> sa.Select[tuple[User]]:
        """Users following this one, alphabetically."""
        return (
            sa.select(User)
            .join(followers, followers.c.follower_id == User.id)
            .where(followers.c.followed_id == self.id)
            .order_by(User.username_key)
        )

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

    author: so.Mapped[User] = so.relationship(back_populates="posts")

    __table_args__ = (
        # Both end with the pagination order (timestamp, id), so a page is one index range read
        # newest first, with no sort: explore uses the first, profiles and timelines the second
        # (which also serves the foreign key when a user is deleted).
        sa.Index("ix_post_timestamp_id", "timestamp", "id"),
        sa.Index("ix_post_user_id_timestamp_id", "user_id", "timestamp", "id"),
    )

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"


def all_posts() -> sa.Select[tuple[Post]]:
    """Every post, newest first (the explore page)."""
    return (
        sa.select(Post)
        .options(so.joinedload(Post.author))
        .order_by(Post.timestamp.desc(), Post.id.desc())
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


def user_by_username(username: str) -> User | None:
    """Find a user by name, ignoring case."""
    return db.session.scalar(sa.select(User).where(User.username_key == username.lower()))


def user_from_session_key(key: str) -> User | None:
    """The user a session key from :meth:`User.get_id` names, if it is still valid."""
    ident, _, fingerprint = key.partition(":")
    if not ident.isdigit() or not fingerprint:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not hmac.compare_digest(user.session_fingerprint(), fingerprint):
        return None
    return user


def user_by_email(email: str) -> User | None:
    """Find a user by email address, ignoring case."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


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
