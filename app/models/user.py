"""Accounts: the ``User`` model with the Mega-Tutorial API (following, timelines, roles), and
the rule for which posts someone may see (how accounts are found is in
:mod:`app.models.accounts`)."""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import LAST_SEEN_INTERVAL, insert_new
from app.models.email_address import normalize_email
from app.models.follows import (
    followers,
    followers_count_statement,
    following_count_statement,
    follows_statement,
    shown_on_home_of,
    timeline_authors_of,
)
from app.models.params import USER_ID, VIEWER_ID
from app.models.post import Post
from app.models.role import ROLE_INCLUDES, Role, role_named, user_roles
from app.models.sessions import end_sessions_of, mark_sessions_for_renewal
from app.models.types import UTCDateTime, utcnow

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{3,32}$")
ABOUT_ME_MAX_LENGTH = 140
# The same text posted again within this time is the form sent twice (a double click).
REPEAT_POST_INTERVAL = timedelta(seconds=10)


# "Who to follow" looks through the follows of this many accounts someone followed most
# recently, and reads at most SUGGESTION_ROWS of them. Every home page runs it: 8 accounts and
# 300 rows took 0.31 ms on bench's S (SQLite, median over 40 readers), 5 and 100 take 0.17 ms
# with only the names read, and still find three people for anyone who follows a few.
SUGGESTION_SOURCES = 5
SUGGESTION_ROWS = 100


class User(UserMixin, db.Model):
    """A person with an account."""

    __table_args__ = (
        sa.Index(
            "ix_user_suspended_at",
            "suspended_at",
            sqlite_where=sa.text("suspended_at IS NOT NULL"),
            postgresql_where=sa.text("suspended_at IS NOT NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(32))
    # Lower-cased copy of username: makes uniqueness and look-ups case-insensitive on any database.
    # Compared by code point on both (SQLite's own way; "C" on PostgreSQL whatever the
    # database's locale), so the names starting with a text are one range of its index.
    username_key: so.Mapped[str] = so.mapped_column(
        sa.String(32).with_variant(sa.String(32, collation="C"), "postgresql"), unique=True
    )
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
    # Set by a moderator: cannot log in, posts hidden from everyone else. Indexed for the
    # moderators' list of suspended accounts (pages ask about each author: suspended_at_of),
    # only those: as an index of every account, SQLite walked it for "suspended_at IS NULL"
    # and sorted everyone that matched by name.
    suspended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set by the operator (``flask users disable``): cannot log in; posts stay visible.
    disabled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Notifications (app.models.notifications). ``notifications_version`` goes up with every
    # change to them; ``notifications_seen_version`` is the version the owner last read them at,
    # and ``notifications_read_id`` the newest notification they saw: while the two versions
    # agree nothing is unread, known without a query.
    notifications_version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    notifications_seen_version: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    notifications_read_id: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # Which kinds the owner is shown, and which of replies and mentions are also emailed (bits
    # of app.models.notifications: every kind shown, nothing emailed, unless they choose).
    notify_kinds: so.Mapped[int] = so.mapped_column(default=15, server_default="15")
    email_kinds: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

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

    # The account itself: confirmed address, password, login sessions, activity.

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
        session this user was loaded through or has just started (see app/web/sessions.py)."""
        if self.login_session is None:
            raise RuntimeError("start a login session first: app.web.sessions.start_session")
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
        """The address of this user's identicon, ``/avatar/<id>/<size>.svg`` on this site.

        Built without ``url_for``, which needs a request (or a configured server name) and
        the web layer: this works wherever a model does, in ``flask shell`` too. Pages use
        ``avatar_url`` (``app/web/urls.py``), which also knows an app mounted below the site's
        root; a test checks that the two give the same path.
        """
        if self.id is None:
            raise ValueError("A user has an avatar once saved: add and commit (or flush) first.")
        return f"/avatar/{self.id}/{int(size)}.svg"

    @property
    def is_active(self) -> bool:
        """Flask-Login's flag: suspended and disabled accounts cannot log in or stay logged in."""
        return self.suspended_at is None and self.disabled_at is None

    @property
    def is_suspended(self) -> bool:
        """True while a moderator has suspended this account."""
        return self.suspended_at is not None

    def touch_last_seen(self, now: datetime | None = None) -> bool:
        """Record activity; returns True only when ``last_seen`` actually changed.

        Writes at most once per ``LAST_SEEN_INTERVAL`` so ordinary page views stay read-only.
        """
        now = now or utcnow()
        if self.last_seen is not None and now - self.last_seen < LAST_SEEN_INTERVAL:
            return False
        self.last_seen = now
        return True

    # Following (the Mega-Tutorial API).

    def follow(self, user: User) -> None:
        """Follow ``user``; following someone already followed changes nothing."""
        if self.id is None or user.id is None:
            db.session.flush()  # new users need their ids first
        if user.id == self.id:
            raise ValueError("You cannot follow yourself.")
        # Two simultaneous follows leave one row and no error, and one notification.
        # RETURNING says whether the row went in (rowcount does not on every driver).
        inserted = db.session.execute(
            insert_new(followers)
            .values(follower_id=self.id, followed_id=user.id)
            .returning(followers.c.follower_id)
        ).first()
        if inserted is not None:
            from app.models.notifications import FOLLOW, notify  # it imports User

            notify(user.id, self.id, FOLLOW)

    def unfollow(self, user: User) -> None:
        """Stop following ``user`` (their notification of the follow goes); a no-op if not
        following."""
        # Deleting an account locks its row, then its follows (the cascade). Taking the rows
        # first here too makes the two meet in that order: in the other, each waited for the
        # other's lock (a deadlock seen on PostgreSQL; a no-op on SQLite). Both accounts, in
        # id order: a first visit's build of this reader's home feed holds theirs meanwhile
        # (app.models.feed.build_home_feed), so the unfollow comes after it, and takes out
        # the rows it wrote.
        db.session.execute(
            sa.select(User.id)
            .where(User.id.in_([self.id, user.id]))
            .order_by(User.id)
            .with_for_update()
        )
        removed = db.session.execute(
            sa.delete(followers).where(
                followers.c.follower_id == self.id, followers.c.followed_id == user.id
            )
        ).rowcount
        if removed:
            from app.models.notifications import FOLLOW, unnotify  # it imports User

            unnotify(user.id, self.id, FOLLOW)

    def is_following(self, user: User) -> bool:
        """True if this user follows ``user``."""
        values = {"user_id": self.id, "other_id": user.id}
        return db.session.scalar(follows_statement(), values) is not None

    def followers_count(self) -> int:
        """How many users follow this one."""
        return db.session.scalar(followers_count_statement(), {"user_id": self.id}) or 0

    def following_count(self) -> int:
        """How many users this one follows."""
        return db.session.scalar(following_count_statement(), {"user_id": self.id}) or 0

    def who_to_follow(self, limit: int = 3) -> sa.Select[tuple[User]]:
        """Accounts followed by people this user follows, not yet followed by them, most
        shared first: the side column's suggestions.

        Bounded on purpose, as every feed page runs it: it reads at most
        :data:`SUGGESTION_ROWS` follows made by the :data:`SUGGESTION_SOURCES` accounts this
        user followed most recently (so its cost grows neither with how many accounts they
        follow nor with how many those follow; a source who follows 2,000 made it take ~10 ms),
        checks only those for "already followed", and reads the accounts of the few best
        candidates only, leaving out suspended and disabled ones. Pages run the same statement
        built once (:func:`who_to_follow_statement`): building it took longer than running it.
        """
        return _who_to_follow(sa.bindparam("user_id", self.id, type_=sa.Integer), limit)

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

    # Posts: the home timeline, a profile's posts, a data export.

    def timeline_authors(self) -> sa.CompoundSelect:
        """Ids of the users whose posts are on this user's home timeline: followed ones and self."""
        return timeline_authors_of(sa.bindparam("timeline_user_id", self.id, type_=sa.Integer))

    def following_posts(self) -> sa.Select[tuple[Post]]:
        """Posts by this user and everyone they follow, newest first; replies only where
        :func:`~app.models.follows.shown_on_home_of` says so.

        Correct for any use; pages read the same posts with
        :func:`app.listings.timeline.home_timeline`, which stays fast however many posts there
        are.
        """
        return (
            sa.select(Post)
            .where(Post.user_id.in_(self.timeline_authors()))
            .where(shown_on_home_of(sa.bindparam("home_user_id", self.id), Post.__table__))
            .where(visible_to(self))
            .options(so.joinedload(Post.author))
            .order_by(Post.timestamp.desc(), Post.id.desc())
        )

    def authored_posts(
        self, viewer: User | None = None, with_replies: bool = True
    ) -> sa.Select[tuple[Post]]:
        """This user's posts that ``viewer`` may see, newest first (only those that answer
        nothing unless ``with_replies``)."""
        stmt = (
            sa.select(Post)
            .where(Post.user_id == self.id)
            .where(visible_to(viewer))
            .options(so.joinedload(Post.author))
            .order_by(Post.timestamp.desc(), Post.id.desc())
        )
        return stmt if with_replies else stmt.where(Post.in_reply_to_user_id.is_(None))

    def posts_count(self, viewer: User | None = None) -> int:
        """How many posts this user has written that ``viewer`` may see."""
        values = {"user_id": self.id, "viewer_id": viewer.id if viewer else None}
        return db.session.scalar(posts_count_statement(), values) or 0

    def posts_oldest_first(self) -> sa.Select:
        """This user's posts as rows for a data export, oldest first.

        Each row is (id, timestamp, body, edited_at, hidden_at, in_reply_to_id,
        in_reply_to_username): when it was last edited and when a moderator hid it, or None;
        for a reply, the post it answers and that post's author (None once their account is
        gone).
        """
        answered = so.aliased(User)
        return (
            sa.select(
                Post.id,
                Post.timestamp,
                Post.body,
                Post.edited_at,
                Post.hidden_at,
                Post.in_reply_to_id,
                answered.username.label("in_reply_to_username"),
            )
            .outerjoin(answered, answered.id == Post.in_reply_to_user_id)
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

    # Roles.

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


def _who_to_follow(user_id: sa.ColumnElement[int], limit: int, *columns) -> sa.Select:
    """The statement of :meth:`User.who_to_follow` for the user ``user_id``, reading
    ``columns`` of each account (the whole :class:`User` if none are given)."""
    sources = (
        sa.select(followers.c.followed_id.label("id"))
        .where(followers.c.follower_id == user_id)
        .order_by(followers.c.created_at.desc())
        .limit(SUGGESTION_SOURCES)
        .subquery("sources")
    )
    theirs = followers.alias("their_follows")
    sample = (
        sa.select(theirs.c.followed_id.label("id"))
        .join(sources, theirs.c.follower_id == sources.c.id)
        .where(theirs.c.followed_id != user_id)
        .limit(SUGGESTION_ROWS)
        .subquery("sample")
    )
    mine = followers.alias("my_follows")
    already = (
        sa.select(mine.c.followed_id)
        .where(mine.c.follower_id == user_id, mine.c.followed_id == sample.c.id)
        .exists()
    )
    shared = sa.func.count().label("shared")
    candidates = (
        sa.select(sample.c.id, shared)
        .where(~already)
        .group_by(sample.c.id)
        .order_by(shared.desc(), sample.c.id)
        .limit(limit * 4)
        .subquery("candidates")
    )
    return (
        sa.select(*(columns or (User,)))
        .join(candidates, candidates.c.id == User.id)
        .where(User.suspended_at.is_(None), User.disabled_at.is_(None))
        .order_by(candidates.c.shared.desc(), User.id)
        .limit(limit)
    )


@cache
def who_to_follow_statement(limit: int = 3) -> sa.Select[tuple[int, str]]:
    """:meth:`User.who_to_follow` for the ``user_id`` parameter, built once, reading each
    account's id and name only (the side column shows no more, and whole users cost more)."""
    return _who_to_follow(USER_ID, limit, User.id, User.username)


def visible_to(viewer: User | None) -> sa.ColumnElement[bool]:
    """WHERE condition for posts ``viewer`` may see in listings (timelines, explore, profiles).

    Posts a moderator hid, and every post of a suspended author, are left out, except that
    people always see their own. ``viewer`` None means nobody in particular (the public view).
    """
    return post_visible_to(Post.__table__, None if viewer is None else viewer.id)


def suspended_at_of(account_id: sa.ColumnElement[int]) -> sa.ScalarSelect:
    """When the account ``account_id`` (a column of the statement) was suspended, NULL if it
    is not: a probe of its row by primary key for each row that asks.

    As "not one of the suspended accounts" (``NOT IN`` a list of them), every statement made
    the list, at each place that asked: with 10,000 suspended accounts (spam waves leave that
    many) home's statement took 5-9 ms at L on SQLite instead of 0.4, explore 1.3 instead of
    0.09. A probe costs the same whatever their number.
    """
    account = User.__table__.alias("suspension_of")
    return (
        sa.select(account.c.suspended_at)
        .where(account.c.id == account_id)
        .correlate_except(account)
        .scalar_subquery()
    )


def post_visible_to(
    post: sa.FromClause,
    viewer_id: int | sa.ColumnElement[int] | None,
    *,
    author_checked: bool = False,
    in_bulk: bool = False,
):
    """:func:`visible_to` for any alias of the post table and a viewer id (a value or SQL).

    ``author_checked``: the statement has left out the posts of suspended authors other than
    the viewer already (once per author), so only hidden posts are left out here.
    ``in_bulk``: for a statement that checks every post of a long range (trending: a day's),
    the suspended accounts are listed once for it, which costs less than a probe per post.
    """
    public = post.c.hidden_at.is_(None)
    if in_bulk:
        suspended = sa.select(User.id).where(User.suspended_at.is_not(None))
        public = sa.and_(public, post.c.user_id.not_in(suspended))
    elif not author_checked:
        public = sa.and_(public, suspended_at_of(post.c.user_id).is_(None))
    if viewer_id is None:
        return public
    return sa.or_(public, post.c.user_id == viewer_id)


@cache
def posts_count_statement() -> sa.Select[tuple[int]]:
    """How many posts ``user_id`` wrote that ``viewer_id`` may see (built once: profiles run
    it on every view)."""
    return (
        sa.select(sa.func.count())
        .select_from(Post)
        .where(Post.user_id == USER_ID, post_visible_to(Post.__table__, VIEWER_ID))
    )
