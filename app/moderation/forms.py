"""The form every moderation action uses: a reason, kept in the audit log."""

from wtforms import SubmitField

from app.web.forms import ChirpForm, reason_field


class ReasonForm(ChirpForm):
    """Confirm a moderation action and say why."""

    reason = reason_field()
    submit = SubmitField("Confirm")  # its page names the action on it
    danger = False  # its page sets it for actions that take something away: a red button
