"""The development outbox page: the emails the app would have sent, newest first."""

from flask import Blueprint, render_template

from app.mail import outbox

bp = Blueprint("dev", __name__, template_folder="templates")


@bp.route("/outbox")
def outbox_page():
    """Every kept email, its text with clickable links (confirmation, reset, ...).

    Open to anyone who can reach the development server: it only exists in debug mode without a
    mail server, where the emails are also in the terminal's log.
    """
    return render_template(
        "dev/outbox.html", title="Development outbox", emails=outbox.newest_first()
    )
