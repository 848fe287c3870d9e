"""Form pieces shared by several blueprints."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


def strip_text(value: str | None) -> str | None:
    """Filter for text fields: trim surrounding white space."""
    return value.strip() if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A form with only a CSRF token and a button (follow, unfollow, log out)."""

    submit = SubmitField("Submit")
