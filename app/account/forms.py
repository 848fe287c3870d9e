"""Forms for the account pages."""

from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from app.models import email_spellings, user_by_email
from app.web.account_fields import (
    email_field,
    new_password_field,
    refuse_username_as_password,
    repeat_password_field,
)
from app.web.forms import ChirpForm


class NewPasswordForm(ChirpForm):
    """Choose a new password (typed twice) for the account called ``username``."""

    password = new_password_field("New password")
    password2 = repeat_password_field("Repeat new password")
    submit = SubmitField("Set new password")

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_password(self, password) -> None:
        """Not the username."""
        refuse_username_as_password(password.data, self.username)


class ChangePasswordForm(NewPasswordForm):
    """Change the password, proving the current one first."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    submit = SubmitField("Change password")


class ResetRequestForm(ChirpForm):
    """Ask for a password reset link."""

    email = email_field("Email")
    submit = SubmitField("Send me a link")


class ChangeEmailForm(ChirpForm):
    """Move the account to another address (confirmed there before it takes effect)."""

    email = email_field("New email address")
    password = PasswordField("Current password", validators=[DataRequired()])
    submit = SubmitField("Send confirmation link")

    def __init__(self, current_email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_email = current_email

    def validate_email(self, email) -> None:
        """The new address must be new, and nobody else's."""
        if self.current_email in email_spellings(email.data):
            raise ValidationError("That is already your address.")
        if user_by_email(email.data) is not None:
            raise ValidationError("That email address is already registered.")


class DeleteAccountForm(ChirpForm):
    """Delete the account for good, proving the password first."""

    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Delete my account")
