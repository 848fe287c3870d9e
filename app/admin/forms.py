"""The form for granting and revoking roles."""

from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from app.models import ROLE_NAMES, user_by_username
from app.web.forms import ChirpForm, reason_field, strip_text


class RoleForm(ChirpForm):
    """Give a user a role, or take it away."""

    username = StringField("Username", filters=[strip_text], validators=[DataRequired()])
    # Preselect the smaller role: a slip (Enter in a field grants) must not hand out admin.
    role = SelectField(
        "Role",
        choices=[SelectChoice(name, name.capitalize()) for name in ROLE_NAMES],
        default="moderator",
    )
    reason = reason_field()
    grant = SubmitField("Grant role")
    revoke = SubmitField("Revoke role")

    def validate_username(self, username) -> None:
        """The user must exist."""
        self.user = user_by_username(username.data)
        if self.user is None:
            raise ValidationError(f"There is no user called {username.data}.")
