"""Views of notifications: the list with its Mentions filter, the unread count for open pages,
the settings, and unsubscribing from the emails."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from app.extensions import csrf, db
from app.listings.notifications import (
    UNREAD_CAP,
    NotificationLine,
    mark_read,
    notification_lines,
    unread_count,
)
from app.listings.pages import page_links, page_of
from app.models import User
from app.models.notifications import ALL_KINDS, MENTIONS_TAB, touch
from app.models.types import utcnow
from app.notifications import emails  # noqa: F401  (its listeners send the emails)
from app.notifications.emails import read_unsubscribe_token
from app.notifications.forms import NotificationSettingsForm, UnsubscribeForm
from app.web.filters import relative_time
from app.web.fragments import join_with_csrf_token, kept_fragments

bp = Blueprint("notifications", __name__, template_folder="templates")


def unread_label(count: int) -> str:
    """The count as the bell shows it ("99+" at the cap)."""
    return f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)


@bp.app_template_global()
def notifications_bell() -> dict:
    """What the bell in the navigation shows the current user: the unread count (no query
    while nothing changed since they last read), and how often open pages ask again."""
    # The user itself, not the proxy: unread_count reads six of its attributes.
    count = unread_count(current_user._get_current_object())
    return {
        "count": count,
        "label": unread_label(count),
        "poll_seconds": current_app.config["NOTIFICATIONS_POLL_SECONDS"],
    }


@bp.app_template_global()
def render_notification_lines(lines: list[NotificationLine], read_up_to: int) -> Markup:
    """The HTML of the notifications page's ``lines``, those newer than ``read_up_to`` marked
    unread.

    Each line is a kept fragment (``notifications/_line.html``) under everything it shows:
    the line itself (its actor's name, its post's text, its group's size), whether it is
    unread and its time as shown now. Rendered through the template one by one they were
    most of the page's time (about 30 us a line).
    """
    now = utcnow()
    rows = [
        {
            "line": line,
            "unread": line.id > read_up_to,
            "relative": relative_time(line.created_at, now),
        }
        for line in lines
    ]
    return join_with_csrf_token(kept_fragments("notifications/_line.html", rows), "\n      ")


def notifications_page(endpoint: str, kinds: int, tab: str):
    """A page of the current user's notifications of ``kinds``; the first page of them all
    marks them read (one small write, only when there is something new to mark)."""
    page = page_of(notification_lines(current_user, kinds))
    read_up_to = current_user.notifications_read_id
    if tab == "all" and not request.args.get("after") and not request.args.get("before"):
        newest = page.items[0].id if page.items else None
        if mark_read(current_user, newest):
            db.session.commit()
    return render_template(
        "notifications/index.html",
        title="Notifications",
        lines=page.items,
        read_up_to=read_up_to,
        tab=tab,
        **page_links(endpoint, page),
    )


@bp.route("/notifications")
@login_required
def index():
    """Everything one is told about, newest first; opening it marks it read."""
    return notifications_page("notifications.index", ALL_KINDS, "all")


@bp.route("/notifications/mentions")
@login_required
def mentions():
    """Only the posts that speak to one: replies and mentions."""
    return notifications_page("notifications.mentions", MENTIONS_TAB, "mentions")


@bp.route("/notifications/unread")
@login_required
def unread():
    """The unread count as JSON, for pages to keep their bell current.

    The ETag is made of the versions on the user row already loaded for the login: a poll while
    nothing changed answers 304 without another query (and polls never write, not even the
    "last seen" time: see ``main.record_last_seen``).
    """
    user = current_user
    etag = (
        f"n{user.id}.{user.notifications_version}.{user.notifications_seen_version}."
        f"{user.notifications_read_id}.{user.notify_kinds}"
    )
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        count = unread_count(user)
        response = jsonify(unread=count, label=unread_label(count))
    response.set_etag(etag)
    return response


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Which kinds of notification one is shown, and whether replies and mentions are
    emailed too (never unless chosen)."""
    form = NotificationSettingsForm()
    if form.validate_on_submit():
        shown, emailed = form.chosen(current_user.notify_kinds, current_user.email_kinds)
        if emailed and not current_user.is_confirmed:
            flash("Confirm your email address first: until then we send it nothing.", "warning")
            emailed = 0
        current_user.notify_kinds, current_user.email_kinds = shown, emailed
        touch(User.id == current_user.id)  # the unread count may change
        db.session.commit()
        flash("Your notification settings have been saved.", "success")
        return redirect(url_for("notifications.settings"))
    if not form.is_submitted():
        form.load(current_user.notify_kinds, current_user.email_kinds)
    return render_template("notifications/settings.html", title="Notification settings", form=form)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail programs POST the link as it is; its signed token is the proof
def unsubscribe(token: str):
    """Stop the notification emails of the account the link was made for: a GET asks first
    (link checkers and previews follow links), a POST (the button, or the mail program's
    one-click) stops them."""
    user_id = read_unsubscribe_token(token)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        abort(404, description="That unsubscribe link is not valid, or its account is gone.")
    if request.method == "POST":
        if user.email_kinds:
            user.email_kinds = 0
            db.session.commit()
        return render_template("notifications/unsubscribed.html", title="Unsubscribed")
    return render_template(
        "notifications/unsubscribe.html", title="Stop notification emails", form=UnsubscribeForm()
    )
