"""Forms for posting and editing one's profile."""

from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from app.models import ABOUT_ME_MAX_LENGTH
from app.web.account_fields import refuse_unavailable_username, username_field
from app.web.forms import ChirpForm, post_text_field, strip_text


class PostForm(ChirpForm):
    """Write a new post."""

    post = post_text_field("Say something")


class EditProfileForm(ChirpForm):
    """Change one's username and about-me text."""

    username = username_field()
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
        if username.data.lower() != self.original_username.lower():
            refuse_unavailable_username(username.data)
