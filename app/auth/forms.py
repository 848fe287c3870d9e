"""Forms for registering and logging in."""

from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp, ValidationError

from app.forms import ChirpForm, strip_text
from app.main.forms import USERNAME_RULE, refuse_reserved_username
from app.models import USERNAME_PATTERN, user_by_email, user_by_username

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128


class LoginForm(ChirpForm):
    """Log in with a username or email address."""

    username = StringField("Username or email", filters=[strip_text], validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember_me = BooleanField("Remember me")
    submit = SubmitField("Log in")


class RegistrationForm(ChirpForm):
    """Create an account."""

    username = StringField(
        "Username",
        filters=[strip_text],
        validators=[DataRequired(), Regexp(USERNAME_PATTERN, message=USERNAME_RULE)],
    )
    email = EmailField(
        "Email",
        filters=[strip_text],
        validators=[DataRequired(), Length(max=254), Email(message="Enter a valid email address.")],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=PASSWORD_MAX_LENGTH,
                message=f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.",
            ),
        ],
    )
    password2 = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
    submit = SubmitField("Register")

    def validate_username(self, username) -> None:
        """Refuse a reserved name or one someone already has (case does not matter)."""
        refuse_reserved_username(username.data)
        if user_by_username(username.data) is not None:
            raise ValidationError("That username is taken. Please choose another.")

    def validate_email(self, email) -> None:
        """Refuse an address that already has an account."""
        if user_by_email(email.data) is not None:
            raise ValidationError("That email address is already registered.")

    def validate_password(self, password) -> None:
        """A password equal to the username is the first one an attacker tries."""
        if self.username.data and password.data.lower() == self.username.data.lower():
            raise ValidationError("Your password must not be your username.")
