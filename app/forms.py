"""Form pieces shared by several blueprints."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


def strip_text(value: str | None) -> str | None:
    """Filter for text fields: trim surrounding white space."""
    return value.strip() if isinstance(value, str) else value


def single_newlines(value: str | None) -> str | None:
    """Filter for text areas: browsers send each line break as CRLF but count (and show) one
    character, so store LF and let the length limit agree with the page's counter."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A form with only a CSRF token and a button (follow, unfollow, log out)."""

    submit = SubmitField("Submit")
