"""Forms for posting and editing one's profile."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from app.forms import strip_text
from app.models import (
    ABOUT_ME_MAX_LENGTH,
    POST_MAX_LENGTH,
    USERNAME_PATTERN,
    user_by_username,
)

USERNAME_RULE = "Usernames are 3 to 32 letters, digits or underscores."


class PostForm(FlaskForm):
    """Write a new post."""

    post = TextAreaField(
        "Say something",
        filters=[strip_text],
        validators=[
            DataRequired(message="Write something first."),
            Length(max=POST_MAX_LENGTH, message=f"Posts are at most {POST_MAX_LENGTH} characters."),
        ],
    )
    submit = SubmitField("Post")


class EditProfileForm(FlaskForm):
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
        """Refuse a name someone else already has (case does not matter)."""
        if username.data.lower() == self.original_username.lower():
            return
        if user_by_username(username.data) is not None:
            raise ValidationError("That username is taken. Please choose another.")
