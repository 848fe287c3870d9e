"""The search boxes of the Posts, People and Tags tabs."""

from wtforms import StringField
from wtforms.validators import Length, Regexp

from app.models.search import TAG_MAX_LENGTH
from app.search.query import QUERY_MAX_LENGTH
from app.web.forms import ChirpForm, strip_text

NAME_START_RULE = "Usernames have only letters, digits and underscores: type the start of one."


def drop_at_sign(value: str | None) -> str | None:
    """Filter: "@alice" finds alice, as people write names in posts."""
    return value.removeprefix("@") if isinstance(value, str) else value


def drop_hash_sign(value: str | None) -> str | None:
    """Filter: "#cats" finds the tag cats, as people write tags in posts."""
    return value.removeprefix("#") if isinstance(value, str) else value


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


class PostSearchForm(ChirpForm):
    """What to look for in posts (see :mod:`app.search.query` for the little language). Any
    text reads as a query; only its length is checked here. A GET form: no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        "Search posts",
        filters=[strip_text],
        validators=[
            Length(
                max=QUERY_MAX_LENGTH,
                message=f"Search for at most {QUERY_MAX_LENGTH:,} characters.",
            )
        ],
    )


class TagSearchForm(ChirpForm):
    """The start of a hashtag's name ("#" optional). A GET form: no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        "Find tags",
        filters=[strip_text, drop_hash_sign],
        validators=[
            Length(max=TAG_MAX_LENGTH, message=f"Tags are at most {TAG_MAX_LENGTH} characters.")
        ],
    )
