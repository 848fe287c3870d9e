"""Forms for changing, deleting and reporting a post."""

from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import ChirpForm, strip_text
from app.main.forms import PostForm
from app.models import REASON_MAX_LENGTH


class EditPostForm(PostForm):
    """Change the text of one's post (same rules as a new one)."""

    submit = SubmitField("Save")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.post.label.text = "Your post"


class DeletePostForm(ChirpForm):
    """Confirm deleting one's post."""

    submit = SubmitField("Delete this post")


class ReportForm(ChirpForm):
    """Tell the moderators what is wrong with a post."""

    reason = TextAreaField(
        "What is wrong with this post?",
        filters=[strip_text],
        validators=[
            DataRequired(message="Please say what is wrong."),
            Length(max=REASON_MAX_LENGTH, message=f"At most {REASON_MAX_LENGTH} characters."),
        ],
    )
    submit = SubmitField("Send report")
