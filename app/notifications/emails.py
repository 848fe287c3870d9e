"""Notification emails: replies and mentions, for those who asked (nobody by default).

A reply or a mention is written inside a flush, which may still be rolled back: the messages are
gathered on the database session then (:func:`queue_emails`), and sent only once it commits, never
for a post that did not happen. Each recipient gets at most ``NOTIFICATION_EMAIL_LIMIT`` of them
(across every worker, in the rate limits' storage), and each message carries a signed link that
stops them in one click (RFC 8058: ``List-Unsubscribe`` and ``List-Unsubscribe-Post``).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_app_context
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse

from app.extensions import limiter
from app.mail.sending import build_message, deliver
from app.models import Post, User
from app.models.notifications import KIND_NAMES, REPLY, TOLD
from app.web.urls import site_url_for

_PENDING = "notification_emails"
UNSUBSCRIBE_SALT = "chirp.notification-email-unsubscribe"


@sa.event.listens_for(so.Session, "after_flush")
def _queue_emails(session: so.Session, _context) -> None:
    """After the models' own listener (registered first) has written the notifications of the
    posts of this flush: gather the emails they send."""
    for post, kind, to in session.info.pop(TOLD, []):
        if has_app_context():
            queue_emails(session, kind, post, to)


def queue_emails(session: so.Session, kind: int, post: Post, to: list[int]) -> None:
    """Note the emails that a reply or mention (``kind``) in ``post`` sends to those of ``to``
    who asked for that kind, to go out when the session commits."""
    rows = session.execute(
        sa.select(User.id, User.email, User.username).where(
            User.id.in_(to),
            User.email_kinds.op("&")(kind) != 0,
            User.email_confirmed_at.is_not(None),
            User.suspended_at.is_(None),
            User.disabled_at.is_(None),
        )
    ).all()
    if not rows:
        return
    actor = session.scalar(sa.select(User.username).where(User.id == post.user_id))
    pending = session.info.setdefault(_PENDING, [])
    for row in rows:
        pending.append((row.id, row.email, row.username, kind, actor, post.id, post.body))


@sa.event.listens_for(so.Session, "after_commit")
def _send_queued(session: so.Session) -> None:
    for user_id, email, username, kind, actor, post_id, body in session.info.pop(_PENDING, []):
        send_notification_email(user_id, email, username, kind, actor, post_id, body)


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _forget_queued(session: so.Session, _previous) -> None:
    session.info.pop(_PENDING, None)


def within_limit(user_id: int) -> bool:
    """Count one email to ``user_id``; False if they have had their share for now."""
    if not limiter.enabled:
        return True
    limit = parse(current_app.config["NOTIFICATION_EMAIL_LIMIT"])
    return limiter.limiter.hit(limit, "notification-email", str(user_id))


def unsubscribe_token(user_id: int) -> str:
    """The signed token of the link that stops ``user_id``'s notification emails. It never
    expires (old emails keep working) and does only that."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps(user_id)


def read_unsubscribe_token(token: str) -> int | None:
    """The user id an unsubscribe token was made for, or None if it is not one of ours."""
    try:
        user_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(
            token
        )
    except BadSignature:
        return None
    return user_id if isinstance(user_id, int) else None


def send_notification_email(
    user_id: int, email: str, username: str, kind: int, actor: str, post_id: int, body: str
) -> bool:
    """Send one notification email, unless the recipient had their share; False if not sent."""
    if not within_limit(user_id):
        current_app.logger.info("notification email to user %s held back: rate limit", user_id)
        return False
    unsubscribe = site_url_for("notifications.unsubscribe", token=unsubscribe_token(user_id))
    subject = f"{actor} {'replied to you' if kind == REPLY else 'mentioned you'} on Chirp"
    message = build_message(
        email,
        subject,
        "notification",
        username=username,
        actor=actor,
        kind=KIND_NAMES[kind],
        body=body,
        post_url=site_url_for("posts.view", post_id=post_id),
        settings_url=site_url_for("notifications.settings"),
        unsubscribe_url=unsubscribe,
    )
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return deliver(message)
