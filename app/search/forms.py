"""The search box."""

from wtforms import StringField
from wtforms.validators import Length, Regexp

from app.web.forms import ChirpForm, strip_text

NAME_START_RULE = "Usernames have only letters, digits and underscores: type the start of one."


def drop_at_sign(value: str | None) -> str | None:
    """Filter: "@alice" finds alice, as people write names in posts."""
    return value.removeprefix("@") if isinstance(value, str) else value


class PeopleSearchForm(ChirpForm):
    """The start of a username. Sent with GET: searching changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        "Find people by username",
        filters=[strip_text, drop_at_sign],
        validators=[
            Length(max=32, message="Usernames are at most 32 characters."),
            Regexp(r"^[A-Za-z0-9_]*$", message=NAME_START_RULE),
        ],
    )
