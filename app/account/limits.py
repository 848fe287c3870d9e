"""Rate limits on the account emails: each costs the site something and lands in an inbox."""

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.models import normalize_email


def from_config(setting: str):
    """The limit in config ``setting``, read at each request (so a test can change it)."""
    return lambda: current_app.config[setting]


def per_account() -> str:
    """Key: the logged-in account, so moving to another network does not reset the count."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def per_address_asked() -> str:
    """Key: the email address a reset is asked for, whoever asks, so one inbox can't be flooded."""
    return "reset:" + normalize_email(request.form.get("email", ""))
