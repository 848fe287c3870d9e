"""Forms for the account pages."""

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.auth.forms import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from app.forms import ChirpForm, strip_text
from app.models import email_spellings, user_by_email

LENGTH_RULE = f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."


def email_field(label: str) -> EmailField:
    """An email address field with the same rules as registration."""
    return EmailField(
        label,
        filters=[strip_text],
        validators=[DataRequired(), Length(max=254), Email(message="Enter a valid email address.")],
    )


class NewPasswordForm(ChirpForm):
    """Choose a new password (typed twice) for the account called ``username``."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH, message=LENGTH_RULE),
        ],
    )
    password2 = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
    submit = SubmitField("Set new password")

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def validate_password(self, password) -> None:
        """A password equal to the username is the first one an attacker tries."""
        if password.data.lower() == self.username.lower():
            raise ValidationError("Your password must not be your username.")


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
