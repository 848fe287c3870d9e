"""Form pieces shared by several blueprints."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


def strip_text(value: str | None) -> str | None:
    """Filter for text fields: trim surrounding white space, and store line breaks as LF.

    Browsers send a line break in a text area as CRLF, yet count and show it as one character:
    storing LF keeps the length limit in step with the post box's counter.
    """
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A form with only a CSRF token and a button (follow, unfollow, log out)."""

    submit = SubmitField("Submit")
