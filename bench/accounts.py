"""The benchmark's own accounts (readers it adds to a seeded database), made like the fake
people: same password, address confirmed, so their pages are those of a real reader (an
unconfirmed account sees "confirm your address first" in place of the post and reply boxes)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.types import utcnow


def add_bench_account(username: str) -> User:
    """A new confirmed account named ``username``, with the fake users' password; flushed."""
    template = db.session.scalar(sa.select(User).order_by(User.id).limit(1))
    user = User(username=username, email=f"{username}@example.com", email_confirmed_at=utcnow())
    user.password_hash = template.password_hash
    db.session.add(user)
    db.session.flush()
    return user


def confirm_bench_accounts(usernames: list[str]) -> None:
    """Confirm those of ``usernames`` that are not (made before the bench confirmed them)."""
    db.session.execute(
        sa.update(User)
        .where(User.username.in_(usernames), User.email_confirmed_at.is_(None))
        .values(email_confirmed_at=utcnow())
    )
    db.session.commit()
