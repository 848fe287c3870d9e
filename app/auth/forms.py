"""Forms for registering and logging in, and the account fields other forms share with them."""

from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp, ValidationError

from app.forms import ChirpForm, strip_text
from app.models import USERNAME_PATTERN, user_by_email, user_by_username
from app.usernames import is_reserved_username

USERNAME_RULE = "Usernames are 3 to 32 letters, digits or underscores."
RESERVED_USERNAME_MESSAGE = "That name is reserved for the site. Please choose another."
TAKEN_USERNAME_MESSAGE = "That username is taken. Please choose another."
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
PASSWORD_LENGTH_RULE = f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."


def username_field() -> StringField:
    """A username: the characters a name may have (see :func:`refuse_unavailable_username`)."""
    return StringField(
        "Username",
        filters=[strip_text],
        validators=[DataRequired(), Regexp(USERNAME_PATTERN, message=USERNAME_RULE)],
    )


def refuse_unavailable_username(name: str) -> None:
    """Raise the form error for a name the site keeps for itself or someone already has (case
    does not matter)."""
    if is_reserved_username(name):
        raise ValidationError(RESERVED_USERNAME_MESSAGE)
    if user_by_username(name) is not None:
        raise ValidationError(TAKEN_USERNAME_MESSAGE)


def email_field(label: str = "Email") -> EmailField:
    """An email address field with the rules of registration."""
    return EmailField(
        label,
        filters=[strip_text],
        validators=[DataRequired(), Length(max=254), Email(message="Enter a valid email address.")],
    )


def new_password_field(label: str = "Password") -> PasswordField:
    """A password being chosen: :data:`PASSWORD_MIN_LENGTH` to :data:`PASSWORD_MAX_LENGTH`."""
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH, message=PASSWORD_LENGTH_RULE),
        ],
    )


def repeat_password_field(label: str = "Repeat password") -> PasswordField:
    """The chosen password typed again (the form's ``password`` field)."""
    return PasswordField(
        label,
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )


def refuse_username_as_password(password: str, username: str) -> None:
    """A password equal to the username is the first one an attacker tries."""
    if password.lower() == username.lower():
        raise ValidationError("Your password must not be your username.")


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
