"""Who may do what: one decorator for views and an anonymous user that holds no roles."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import AnonymousUserMixin, current_user
from werkzeug.exceptions import Forbidden

from app.extensions import login_manager
from app.models import ROLE_NAMES


class ConfirmationRequired(Forbidden):
    """Refused until the user confirms their email address: the 403 page offers to send the
    confirmation link again."""


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


def require_confirmed_email(doing: str) -> None:
    """Refuse ``doing`` (e.g. "following people") to a user whose email address is unconfirmed.

    Throwaway accounts may read but not act on others. The 403 page says why and offers to send
    the confirmation link again, like the post box does.
    """
    if current_user.is_confirmed:
        return
    raise ConfirmationRequired(
        f"Confirm your email address before {doing}: follow the link we sent to "
        f"{current_user.email}."
    )
