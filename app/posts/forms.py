"""Forms for changing, deleting and reporting a post."""

from wtforms import SubmitField

from app.forms import ChirpForm, reason_field
from app.main.forms import PostForm


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

    reason = reason_field("What is wrong with this post?", "Please say what is wrong.")
    submit = SubmitField("Send report")
