"""Forms for registering and logging in."""

from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from app.models import user_by_email
from app.web.account_fields import (
    email_field,
    new_password_field,
    refuse_unavailable_username,
    refuse_username_as_password,
    repeat_password_field,
    username_field,
)
from app.web.forms import ChirpForm, strip_text


class LoginForm(ChirpForm):
    """Log in with a username or email address."""

    username = StringField("Username or email", filters=[strip_text], validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember_me = BooleanField("Remember me")
    submit = SubmitField("Log in")


class RegistrationForm(ChirpForm):
    """Create an account."""

    username = username_field()
    email = email_field()
    password = new_password_field()
    password2 = repeat_password_field()
    submit = SubmitField("Register")

    def validate_username(self, username) -> None:
        """Refuse a reserved name or one someone already has."""
        refuse_unavailable_username(username.data)

    def validate_email(self, email) -> None:
        """Refuse an address that already has an account."""
        if user_by_email(email.data) is not None:
            raise ValidationError("That email address is already registered.")

    def validate_password(self, password) -> None:
        """Not the username (if one was given)."""
        if self.username.data:
            refuse_username_as_password(password.data, self.username.data)
