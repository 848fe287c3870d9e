"""Forms for posting and editing one's profile."""

from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from app.forms import ChirpForm, strip_text
from app.models import (
    ABOUT_ME_MAX_LENGTH,
    POST_MAX_LENGTH,
    USERNAME_PATTERN,
    user_by_username,
)
from app.usernames import is_reserved_username

USERNAME_RULE = "Usernames are 3 to 32 letters, digits or underscores."
RESERVED_USERNAME_MESSAGE = "That name is reserved for the site. Please choose another."


def refuse_reserved_username(name: str) -> None:
    """Raise the form error for a name the site keeps for itself."""
    if is_reserved_username(name):
        raise ValidationError(RESERVED_USERNAME_MESSAGE)


class PostForm(ChirpForm):
    """Write a new post."""

    post = TextAreaField(
        "Say something",
        filters=[strip_text],
        validators=[
            DataRequired(message="Write something first."),
            Length(max=POST_MAX_LENGTH, message=f"Posts are at most {POST_MAX_LENGTH} characters."),
        ],
    )


class EditProfileForm(ChirpForm):
    """Change one's username and about-me text."""

    username = StringField(
        "Username",
        filters=[strip_text],
        validators=[DataRequired(), Regexp(USERNAME_PATTERN, message=USERNAME_RULE)],
    )
    about_me = TextAreaField(
        "About me",
        filters=[strip_text],
        validators=[
            Length(max=ABOUT_ME_MAX_LENGTH, message=f"At most {ABOUT_ME_MAX_LENGTH} characters.")
        ],
    )
    submit = SubmitField("Save")

    def __init__(self, original_username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_username = original_username

    def validate_username(self, username) -> None:
        """Refuse a reserved name or one someone else has (case does not matter).

        Keeping one's current name is always fine, even if it was reserved after it was taken.
        """
        if username.data.lower() == self.original_username.lower():
            return
        refuse_reserved_username(username.data)
        if user_by_username(username.data) is not None:
            raise ValidationError("That username is taken. Please choose another.")
