"""Form pieces shared by several blueprints."""

from datetime import timedelta

from flask import abort
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation

from app.models import POST_MAX_LENGTH, REASON_MAX_LENGTH
from app.web.text import has_control_characters

CONTROL_CHARACTER_MESSAGE = "Remove the invisible control characters from this field."
# A form sent again this soon with what the first one already did is a double click: it gets the
# first one's answer, not an error about the change that answer made.
REPEAT_SUBMIT_INTERVAL = timedelta(seconds=10)


def strip_text(value: str | None) -> str | None:
    """Filter for text fields: trim surrounding white space, and store line breaks as LF.

    Browsers send a line break in a text area as CRLF, yet count and show it as one character:
    storing LF keeps the length limit in step with the post box's counter.
    """
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def refuse_control_characters(form, field) -> None:
    """Validator: control characters (NUL above all, which PostgreSQL cannot store) end validation.

    It stops the field's remaining validators, so no database look-up ever sees such text.
    """
    multiline = isinstance(field, TextAreaField)
    if isinstance(field.data, str) and has_control_characters(field.data, multiline):
        raise StopValidation(CONTROL_CHARACTER_MESSAGE)


def post_text_field(label: str) -> TextAreaField:
    """The text of a post: new ones (the post box) and edits follow the same rules."""
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired(message="Write something first."),
            Length(max=POST_MAX_LENGTH, message=f"Posts are at most {POST_MAX_LENGTH} characters."),
        ],
    )


def reason_field(
    label: str = "Reason (kept in the audit log)", missing: str = "Please give a reason."
) -> TextAreaField:
    """A required free-text reason (a report, or a moderator's or an admin's action).

    ``missing`` is the error shown when it is left empty.
    """
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired(message=missing),
            Length(max=REASON_MAX_LENGTH, message=f"At most {REASON_MAX_LENGTH} characters."),
        ],
    )


class ChirpForm(FlaskForm):
    """Base of every Chirp form: no text field accepts control characters.

    The check runs after a field's own validators and before its ``validate_<field>`` method.
    """

    def validate(self, extra_validators=None) -> bool:
        """Validate as usual, with :func:`refuse_control_characters` on every text field."""
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for field in self:
            if field.name != self.meta.csrf_field_name:
                extra.setdefault(field.name, []).insert(0, refuse_control_characters)
        return super().validate(extra)


class EmptyForm(ChirpForm):
    """A form with only a CSRF token and a button (follow, unfollow, log out)."""

    submit = SubmitField("Submit")


def require_button_form() -> None:
    """For a view that is only a button: refuse (400) a POST that is not its :class:`EmptyForm`.

    CSRFProtect already refuses a bad token before the view runs; this keeps each such view
    correct on its own, should that protection ever be switched off for it.
    """
    if not EmptyForm().validate_on_submit():
        abort(400, description="The form expired. Please try again.")
