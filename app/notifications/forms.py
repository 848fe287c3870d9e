"""Forms for the notification settings and the unsubscribe page."""

from wtforms import BooleanField, SubmitField

from app.models.notifications import FOLLOW, LIKE, MENTION, REPLY
from app.web.forms import ChirpForm

# (field name, bit, label) of each kind one may be shown, and of those one may be emailed.
SHOWN = (
    ("follow", FOLLOW, "Someone follows you"),
    ("reply", REPLY, "Someone replies to your post"),
    ("mention", MENTION, "Someone mentions you"),
    ("like", LIKE, "Someone likes your post"),
)
EMAILED = (
    ("email_reply", REPLY, "Email me when someone replies to my post"),
    ("email_mention", MENTION, "Email me when someone mentions me"),
)


class NotificationSettingsForm(ChirpForm):
    """Which kinds of notification to be shown, and which to be emailed too."""

    follow = BooleanField(SHOWN[0][2])
    reply = BooleanField(SHOWN[1][2])
    mention = BooleanField(SHOWN[2][2])
    like = BooleanField(SHOWN[3][2])
    email_reply = BooleanField(EMAILED[0][2])
    email_mention = BooleanField(EMAILED[1][2])
    submit = SubmitField("Save")

    def load(self, shown: int, emailed: int) -> None:
        """Tick the boxes of the kinds in ``shown`` and ``emailed`` (bits)."""
        for name, bit, _label in SHOWN:
            self[name].data = bool(shown & bit)
        for name, bit, _label in EMAILED:
            self[name].data = bool(emailed & bit)

    def chosen(self, shown: int, emailed: int) -> tuple[int, int]:
        """The kinds ticked, as bits (shown, emailed), in place of those the form offers in
        ``shown`` and ``emailed``; kinds it does not offer keep their bits."""
        for name, bit, _label in SHOWN:
            shown = shown | bit if self[name].data else shown & ~bit
        for name, bit, _label in EMAILED:
            emailed = emailed | bit if self[name].data else emailed & ~bit
        return shown, emailed


class UnsubscribeForm(ChirpForm):
    """Confirm stopping notification emails (the link's token says whose)."""

    submit = SubmitField("Stop these emails")
