"""Forms for posting and editing one's profile."""

from functools import cached_property

from flask import current_app, g
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from app.models import ABOUT_ME_MAX_LENGTH
from app.web.account_fields import refuse_unavailable_username, username_field
from app.web.forms import ChirpForm, post_text_field, strip_text


class PostForm(ChirpForm):
    """Write a new post.

    Its page puts the reader's token in through the fragments' mark (``main/_compose.html``),
    never through a CSRF field. So once CSRFProtect has checked the request's token, the form
    makes no field of its own (one a post paid for, 0.05 ms, and never showed); where the
    protection did not check it (switched off for the view), the form checks it, as any does.
    """

    class Meta:
        @cached_property
        def csrf(self) -> bool:
            """Whether the form checks a CSRF token itself (a cached property, as Flask-WTF's:
            ``meta={"csrf": False}`` may still switch it off)."""
            if g.get("csrf_valid", False):
                return False  # CSRFProtect has checked this request's token
            return current_app.config.get("WTF_CSRF_ENABLED", True)

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
