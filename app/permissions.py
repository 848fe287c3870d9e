"""Who may do what: one decorator for views and an anonymous user that holds no roles."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import AnonymousUserMixin, current_user

from app.extensions import login_manager
from app.models.moderation import ROLE_NAMES


class AnonymousUser(AnonymousUserMixin):
    """Someone not logged in: templates may ask them about roles like anybody else."""

    def has_role(self, _name: str) -> bool:
        """Nobody anonymous holds a role."""
        return False


def require_role(name: str) -> Callable:
    """Decorate a view so only users holding role ``name`` (or a role including it) reach it.

    Anonymous visitors are sent to log in; logged-in users without the role get a 403 page.
    """
    if name not in ROLE_NAMES:
        raise ValueError(f"There is no role called {name!r}.")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(name):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator
