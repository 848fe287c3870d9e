"""The form every moderation action uses: a reason, kept in the audit log."""

from wtforms import SubmitField

from app.web.forms import ChirpForm, reason_field


class ReasonForm(ChirpForm):
    """Confirm a moderation action and say why."""

    reason = reason_field()
    submit = SubmitField("Confirm")

    def __init__(self, button: str, *args, danger: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.submit.label.text = button
        # Hiding and suspending take something away from someone: their button looks it.
        self.danger = danger
