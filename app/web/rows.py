"""The rows a request works on: the one its URL names (or the 404 page), and rows another
request changed or deleted while this one was working on them."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort
from flask_login import current_user

from app.extensions import db
from app.models import USERNAME_PATTERN, User, user_by_username
from app.web.sessions import log_out


def user_or_404(username: str) -> User:
    """The user called ``username`` (any case), or a 404 page.

    A name no account can have is refused before the database sees it (PostgreSQL rejects NUL).
    """
    user = user_by_username(username) if USERNAME_PATTERN.match(username) else None
    if user is None:
        abort(404, description=f"There is no user called {username}.")
    return user


@contextmanager
def gone_is_404(description: str) -> Iterator[None]:
    """Run the block; if a row it changes was deleted since this request loaded it, roll back
    and answer with the 404 page ``description``, as a request made just after would get.

    SQLAlchemy notices when the UPDATE of a loaded row matches nothing (``StaleDataError``),
    whether at the commit or at an autoflush inside the block.
    """
    try:
        yield
    except so.exc.StaleDataError:
        db.session.rollback()
        forget_deleted_user()
        abort(404, description=description)


def forget_deleted_user() -> bool:
    """Log out the current user if their account was deleted meanwhile (their post may have
    gone with it), so the page that answers does not try to load them. True if it was."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        return False
    try:
        db.session.refresh(user)
    except sa.exc.InvalidRequestError:  # no such row any more
        log_out()
        return True
    return False


def lock_row(model: type[db.Model], ident: int) -> bool:
    """Keep other requests from changing the ``model`` row ``ident`` until this one commits;
    False (and nothing locked) if there is no such row.

    A write that changes nothing takes the lock on either database: PostgreSQL's row lock, or
    SQLite's database write lock, which a plain ``SELECT ... FOR UPDATE`` would not take.
    """
    (key,) = sa.inspect(model).primary_key
    return (
        db.session.execute(
            sa.update(key.table).where(key == ident).values({key.name: key})
        ).rowcount
        > 0
    )


def lock_and_reload(row: db.Model) -> bool:
    """:func:`lock_row` for a loaded ``row``, then reload it: a check made next sees every change
    committed before, and none can come in between. False if it was deleted meanwhile."""
    if not lock_row(type(row), sa.inspect(row).identity[0]):
        return False
    db.session.refresh(row)
    return True
