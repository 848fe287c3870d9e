"""The account emails: what each one says and where its link points.

Every link is on ``SITE_URL`` (:func:`site_url_for`), never on the host the request named.
"""

from app.mail import tokens
from app.mail.sending import send_email
from app.models import User
from app.web.urls import site_url_for


def send_email_confirmation(user: User) -> bool:
    """Ask ``user`` to confirm their address; False if the email could not be sent."""
    link = site_url_for("account.confirm_email", token=tokens.email_confirmation_token(user))
    return send_email(
        user.email,
        "Confirm your email address",
        "confirm_email",
        user=user,
        link=link,
        valid_for=tokens.valid_for(tokens.CONFIRM_EMAIL),
    )


def send_password_reset(address: str, user: User | None) -> bool:
    """Send a reset link to ``address``, or, if no account uses it, say so to that address.

    Either way an email goes out, so neither the page nor its timing tells a visitor whether
    the address has an account.
    """
    if user is None:
        return send_email(
            address,
            "Resetting your Chirp password",
            "reset_no_account",
            address=address,
            register_link=site_url_for("auth.register"),
        )
    link = site_url_for("account.reset_password", token=tokens.password_reset_token(user))
    return send_email(
        address,
        "Reset your Chirp password",
        "reset_password",
        user=user,
        link=link,
        valid_for=tokens.valid_for(tokens.RESET_PASSWORD),
    )


def send_email_change(user: User, new_email: str) -> bool:
    """Send the link that moves ``user`` to ``new_email``, to that new address."""
    link = site_url_for(
        "account.confirm_email_change", token=tokens.email_change_token(user, new_email)
    )
    return send_email(
        new_email,
        "Confirm your new email address",
        "change_email",
        user=user,
        link=link,
        valid_for=tokens.valid_for(tokens.CHANGE_EMAIL),
    )


def send_password_changed_notice(user: User) -> bool:
    """Tell ``user`` their password changed, so a change they did not make gets noticed."""
    return send_email(
        user.email,
        "Your Chirp password was changed",
        "password_changed",
        user=user,
        reset_link=site_url_for("account.reset_request"),
    )


def send_email_changed_notice(user: User, old_email: str) -> bool:
    """Tell the previous address that the account has moved to ``user.email``."""
    return send_email(old_email, "Your Chirp email address was changed", "email_changed", user=user)
