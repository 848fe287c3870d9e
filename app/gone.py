"""Rows another request deleted while this one was changing them."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort
from flask_login import current_user, logout_user

from app.extensions import db
from app.models import User


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
        logout_user()
        return True
    return False
