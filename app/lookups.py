"""Rows that a URL names, or the 404 page."""

from flask import abort

from app.models import USERNAME_PATTERN, User, user_by_username


def user_or_404(username: str) -> User:
    """The user called ``username`` (any case), or a 404 page.

    A name no account can have is refused before the database sees it (PostgreSQL rejects NUL).
    """
    user = user_by_username(username) if USERNAME_PATTERN.match(username) else None
    if user is None:
        abort(404, description=f"There is no user called {username}.")
    return user
