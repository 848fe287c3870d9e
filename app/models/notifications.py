"""Notifications: people hear when someone follows them, answers, mentions or likes their posts.

One ``notification`` row per event (a follow, a reply, a mention, a like), removed with the
event (unfollow, unlike, and the database's cascades when the post or an account goes). Whether
one is shown is decided when the list is read, not when the row is written: a suspended actor, a
hidden post or a kind the reader switched off leaves it out of the list and the unread count at
once, and brings it back when undone.

Mentions are stored (``mention``) when a post is written or edited, bound to the account the name
belonged to then: a rename neither loses them nor hands them, or the ``@name`` links in old posts,
to whoever takes the name next.

Every change to someone's notifications (and to what they may see of them) adds one to their
``User.notifications_version``; the unread count and its ETag are keyed on it, so a page or a
poll that finds it unchanged since the list was last read knows the count without a query.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.post import Post
from app.models.types import UTCDateTime, utcnow
from app.models.user import User

# The kinds, as bits: a user's ``notify_kinds`` and ``email_kinds`` are sums of them.
FOLLOW, REPLY, MENTION, LIKE = 1, 2, 4, 8
KIND_NAMES = {FOLLOW: "follow", REPLY: "reply", MENTION: "mention", LIKE: "like"}
ALL_KINDS = FOLLOW | REPLY | MENTION | LIKE
EMAIL_KINDS = REPLY | MENTION
"""The kinds that may also be sent by email (each person chooses; none by default)."""
MENTIONS_TAB = REPLY | MENTION
"""What the Mentions filter shows: posts that speak to the reader."""

# "@name" with a name an account can have, where a mention may start: not inside a word or an
# email address ("bob@example.com"), and not the start of a longer word ("@alice" in "@aliceé").
MENTION_PATTERN = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,32})(?![\w@])")
MAX_MENTIONS = 10
"""At most this many accounts are bound (and told) per post: a post of 140 characters that
names more is a list, not a conversation."""


mention = sa.Table(
    "mention",
    db.metadata,
    sa.Column(
        "post_id", sa.Integer, sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    ),
    # The name as it was written, lower-cased: which "@name" in the text stands for the account.
    sa.Column("name_key", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
    # Deleting an account removes the mentions of it without scanning the table.
    sa.Index("ix_mention_user_id", "user_id"),
)


class Notification(db.Model):
    """One event someone is told about: ``actor`` did ``kind`` to ``user`` (about ``post``)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Who is told.
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    # Who followed, answered, mentioned or liked.
    actor_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    # The reply, the post that mentions, the post liked; None for a follow.
    post_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("post.id", ondelete="CASCADE"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Likes of one post and follows on one UTC day share a key and are listed as one line;
    # replies and mentions have none (each is its own line).
    group_key: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    __table_args__ = (
        # The list, newest first, and the unread count (id above the reader's marker).
        sa.Index("ix_notification_user_id_id", "user_id", "id"),
        # A group's newer members and its size, for the line that stands for it.
        sa.Index("ix_notification_user_id_group_key_id", "user_id", "group_key", "id"),
        # Undoing an event finds its row; deleting a post or an account its rows.
        sa.Index("ix_notification_post_id_actor_id", "post_id", "actor_id"),
        sa.Index("ix_notification_actor_id_user_id", "actor_id", "user_id"),
        sa.CheckConstraint("kind IN (1, 2, 4, 8)", name="known_kind"),
    )

    def __repr__(self) -> str:
        return f"<Notification {KIND_NAMES.get(self.kind)} {self.actor_id}->{self.user_id}>"


def group_key(kind: int, post_id: int | None, when: datetime) -> str | None:
    """The key that puts likes of one post, and follows, of one UTC day on one line."""
    if kind == LIKE:
        return f"like:{post_id}:{when:%Y-%m-%d}"
    if kind == FOLLOW:
        return f"follow:{when:%Y-%m-%d}"
    return None


def touch(recipients: sa.ColumnElement[bool]) -> None:
    """Tell the users ``recipients`` selects that their notifications changed.

    ``updated_at`` keeps its value: it says when the profile changed, not this.
    """
    db.session.execute(
        sa.update(User)
        .where(recipients)
        .values(notifications_version=User.notifications_version + 1, updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )


def touch_recipients_of(where: sa.ColumnElement[bool]) -> None:
    """:func:`touch` everyone with a notification that ``where`` selects (a post hidden, an
    account suspended or deleted: their lists and counts change)."""
    touch(User.id.in_(sa.select(Notification.user_id).where(where)))


def notify(user_id: int, actor_id: int, kind: int, post_id: int | None = None) -> None:
    """Record that ``actor_id`` did ``kind`` to ``user_id``; nobody is told of their own acts.

    Callers call it once per event: after the row of the event itself (a follow, a like) was
    inserted, so a double click or two tabs make one event and one notification.
    """
    if user_id == actor_id:
        return
    now = utcnow()
    db.session.execute(
        sa.insert(Notification).values(
            user_id=user_id,
            actor_id=actor_id,
            kind=kind,
            post_id=post_id,
            created_at=now,
            group_key=group_key(kind, post_id, now),
        )
    )
    touch(User.id == user_id)


def unnotify(user_id: int, actor_id: int, kind: int, post_id: int | None = None) -> None:
    """Remove the notification of an event undone (an unfollow, an unlike)."""
    post = Notification.post_id.is_(None) if post_id is None else Notification.post_id == post_id
    removed = db.session.execute(
        sa.delete(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.actor_id == actor_id,
            Notification.kind == kind,
            post,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if removed:
        touch(User.id == user_id)


def mentioned_names(body: str) -> list[str]:
    """The lower-cased names ``body`` mentions, each once, in order (at most MAX_MENTIONS)."""
    names = dict.fromkeys(name.lower() for name in MENTION_PATTERN.findall(body))
    return list(names)[:MAX_MENTIONS]


def record_mentions(post: Post, new: bool = False) -> list[int]:
    """Bind the names ``post`` mentions to the accounts that have them now, replacing what an
    earlier version of the text bound, and notify those newly mentioned (not the author, nor
    the person a reply answers: the reply is their notification). Returns the ids told.

    Names that stay in an edited text keep the account they were bound to, whoever has the
    name now. A ``new`` post has bound nothing yet: it is not looked up (one statement less
    for every post written, most of which mention nobody).
    """
    names = mentioned_names(post.body)
    kept = {}
    if not new:
        kept = dict(
            db.session.execute(
                sa.select(mention.c.name_key, mention.c.user_id).where(mention.c.post_id == post.id)
            ).all()
        )
    gone = [name for name in kept if name not in names]
    if gone:
        db.session.execute(
            sa.delete(mention).where(mention.c.post_id == post.id, mention.c.name_key.in_(gone))
        )
        for name in gone:
            if kept[name] not in {kept[n] for n in names if n in kept}:
                unnotify(kept[name], post.user_id, MENTION, post.id)
    new = [name for name in names if name not in kept]
    if not new:
        return []
    found = dict(
        db.session.execute(
            sa.select(User.username_key, User.id).where(User.username_key.in_(new))
        ).all()
    )
    if not found:
        return []
    db.session.execute(
        sa.insert(mention),
        [{"post_id": post.id, "name_key": name, "user_id": uid} for name, uid in found.items()],
    )
    already = set(kept.values())
    told = []
    # In id order: two posts naming the same people lock their rows (``touch``) in one order.
    for user_id in sorted(set(found.values())):
        if user_id in already or user_id in (post.user_id, post.in_reply_to_user_id):
            continue
        notify(user_id, post.user_id, MENTION, post.id)
        told.append(user_id)
    return told


def record_post(post: Post) -> dict[int, list[int]]:
    """Everything a new post (flushed, so it has its id) tells others: the reply to the author
    answered, and the mentions. Returns the ids told, by kind."""
    told = {REPLY: [], MENTION: []}
    if post.in_reply_to_user_id is not None and post.in_reply_to_user_id != post.user_id:
        notify(post.in_reply_to_user_id, post.user_id, REPLY, post.id)
        told[REPLY].append(post.in_reply_to_user_id)
    told[MENTION] = record_mentions(post, new=True)
    return told


TOLD = "notifications_told"
"""Key of ``Session.info`` where each flush lists (post, kind, ids told) of the posts it wrote,
for whoever acts on them after the commit (notification emails)."""


@sa.event.listens_for(so.Session, "after_flush")
def _posts_written(session: so.Session, _context) -> None:
    """Every post written through the ORM (home's box, a reply, an edit, ``flask shell``) tells
    whom it answers and mentions; an edit binds its mentions again."""
    told = session.info.setdefault(TOLD, [])
    for post in session.new:
        if isinstance(post, Post):
            told.extend((post, kind, ids) for kind, ids in record_post(post).items() if ids)
    for post in session.dirty:
        edited = isinstance(post, Post) and sa.inspect(post).attrs.body.history.has_changes()
        if edited and (ids := record_mentions(post)):
            told.append((post, MENTION, ids))
