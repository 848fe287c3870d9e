"""The form every moderation action uses: a reason, kept in the audit log."""

from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import ChirpForm, strip_text
from app.models import REASON_MAX_LENGTH


class ReasonForm(ChirpForm):
    """Confirm a moderation action and say why."""

    reason = TextAreaField(
        "Reason (kept in the audit log)",
        filters=[strip_text],
        validators=[
            DataRequired(message="Please give a reason."),
            Length(max=REASON_MAX_LENGTH, message=f"At most {REASON_MAX_LENGTH} characters."),
        ],
    )
    submit = SubmitField("Confirm")

    def __init__(self, button: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submit.label.text = button
