"""The fields of an account as forms ask for them: a username (not one the site keeps for
itself), an email address and a new password. Registration, the profile, the account pages and
the ``flask users`` command apply the same rules."""

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp, ValidationError

from app.models import USERNAME_PATTERN, user_by_username
from app.web.forms import strip_text

USERNAME_RULE = "Usernames are 3 to 32 letters, digits or underscores."
RESERVED_USERNAME_MESSAGE = "That name is reserved for the site. Please choose another."
TAKEN_USERNAME_MESSAGE = "That username is taken. Please choose another."
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
PASSWORD_LENGTH_RULE = f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters."

# Names nobody may register: they look like the site's own paths or speak with its authority.
# Path segments the site uses or may use (a profile at /user/<name> must never be mistaken for
# them in links or logs), and names that would pass for staff.
RESERVED_USERNAMES = frozenset(
    {
        "about",
        "account",
        "admin",
        "administrator",
        "api",
        "audit",
        "auth",
        "avatar",
        "chirp",
        "confirm",
        "contact",
        "delete",
        "edit",
        "edit_profile",
        "explore",
        "export",
        "feed",
        "follow",
        "followers",
        "following",
        "health",
        "healthz",
        "help",
        "index",
        "login",
        "logout",
        "messages",
        "metrics",
        "mod",
        "moderation",
        "moderator",
        "new",
        "notifications",
        "null",
        "post",
        "posts",
        "privacy",
        "register",
        "report",
        "reports",
        "reset_password",
        "root",
        "rss",
        "search",
        "security",
        "settings",
        "staff",
        "static",
        "status",
        "support",
        "system",
        "tags",
        "terms",
        "unfollow",
        "user",
        "users",
        "www",
    }
)


def is_reserved_username(name: str) -> bool:
    """True if ``name`` (in any case) is kept back for the site itself."""
    return name.lower() in RESERVED_USERNAMES


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
