"""Forms for answering, changing, deleting and reporting a post."""

from wtforms import SubmitField

from app.web.forms import ChirpForm, post_text_field, reason_field


class ReplyForm(ChirpForm):
    """Answer a post (same rules as a new post)."""

    post = post_text_field("Your reply")


class EditPostForm(ChirpForm):
    """Change the text of one's post (same rules as a new one)."""

    post = post_text_field("Your post")
    submit = SubmitField("Save")


class DeletePostForm(ChirpForm):
    """Confirm deleting one's post."""

    submit = SubmitField("Delete this post")


class ReportForm(ChirpForm):
    """Tell the moderators what is wrong with a post."""

    reason = reason_field("What is wrong with this post?", "Please say what is wrong.")
    submit = SubmitField("Send report")
