"""Views for moderators (admins too): the report queue, hiding posts, suspending accounts.

Every action asks for a reason on a confirmation page (GET) and is done by a POST, which also
writes an audit log entry.
"""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.listings.moderation import report_queue, suspended_accounts
from app.listings.pages import page_links, page_of
from app.listings.posts import cards_of
from app.models import Post, Report, User, record_action
from app.models.notifications import Notification, touch_recipients_of
from app.models.types import utcnow
from app.moderation.forms import ReasonForm
from app.web.form_pages import form_page
from app.web.permissions import require_role
from app.web.rows import gone_is_404, lock_and_reload, user_or_404
from app.web.urls import safe_next_path

bp = Blueprint("moderation", __name__, template_folder="templates")

POST_GONE = "That post does not exist."
REPORT_GONE = "That report does not exist."


def post_or_404(post_id: int) -> Post:
    """Any post, hidden or not (moderators see them all), with its author (read together, so
    neither can vanish in between)."""
    post = db.session.get(Post, post_id, options=[so.joinedload(Post.author)])
    if post is None:
        abort(404, description=POST_GONE)
    return post


def back_to(default: str):
    """Redirect to the page the moderator came from (``next``, if on this site) or ``default``."""
    return redirect(safe_next_path(request.args.get("next")) or default)


@bp.route("/")
@require_role("moderator")
def queue():
    """Open reports, oldest first."""
    page = page_of(report_queue())
    return render_template(
        "moderation/queue.html",
        title="Moderation queue",
        reports=page.items,
        cards=cards_of([report.post_id for report in page.items], current_user),
        **page_links("moderation.queue", page),
    )


@bp.route("/suspended")
@require_role("moderator")
def suspended():
    """Suspended accounts, alphabetically, each with a way to lift the suspension."""
    page = page_of(suspended_accounts())
    return render_template(
        "moderation/suspended.html",
        title="Suspended accounts",
        people=page.items,
        **page_links("moderation.suspended", page),
    )


class AlreadyDone(NamedTuple):
    """How to tell that an action's change has been made, and what to say then."""

    check: Callable[[], bool]
    message: str

    def say(self, destination: str):
        """Say it, and go back (to ``destination`` unless the moderator came from elsewhere)."""
        flash(self.message, "info")
        return back_to(destination)


class Action(NamedTuple):
    """One moderation action on one post, account or report, and what its pages say."""

    name: str  # in the audit log: "post.hide", "user.suspend"...
    target: Post | User | Report
    apply: Callable[[], None]
    button: str
    heading: str
    explanation: str
    done: str
    destination: str  # where to go afterwards, unless the moderator came from elsewhere
    gone: str  # the 404 page's words if the target is deleted meanwhile
    already: AlreadyDone
    shown: dict  # the post, user or report the confirmation page shows
    danger: bool = False  # takes something away from someone: a red button


def confirm_page(action: Action, form: ReasonForm) -> str:
    """The confirmation page: what will happen, to what (post, user or report), and why."""
    form.submit.label.text = action.button
    # Hiding and suspending take something away from someone: their button looks it.
    form.danger = action.danger
    return render_template(
        "moderation/confirm.html",
        title=action.heading,
        heading=action.heading,
        explanation=action.explanation,
        form=form,
        back_url=safe_next_path(request.args.get("next")) or url_for("moderation.queue"),
        **action.shown,
    )


def confirmed_action(action: Action):
    """The flow every moderation action shares.

    If the change has been made already, say so and go back. A valid POST applies it, writes
    the audit entry with the reason, commits, says ``done`` and goes back; anything else shows
    the confirmation page. If the target was deleted meanwhile, nothing is written and the
    answer is the 404 page ``gone``. If another moderator made the change meanwhile (checked
    once the target is locked), this request says so and writes nothing: no second audit entry.
    """
    already = action.already
    if already.check():
        return already.say(action.destination)
    form = ReasonForm()
    if form.validate_on_submit():
        with gone_is_404(action.gone):
            if not lock_and_reload(action.target):
                db.session.rollback()
                abort(404, description=action.gone)
            if already.check():
                db.session.rollback()
                return already.say(action.destination)
            action.apply()
            record_action(current_user, action.name, action.target, form.reason.data)
            db.session.commit()
        flash(action.done, "success")
        return back_to(action.destination)
    return confirm_page(action, form)


def post_hiding(post_id: int, hide: bool) -> Action:
    """Hiding a post (settling its open reports), or showing it again."""
    post = post_or_404(post_id)
    already = AlreadyDone(
        lambda: post.is_hidden == hide, f"That post is {'already' if hide else 'not'} hidden."
    )
    if hide:
        verb, apply = "Hide", lambda: post.hide(current_user)
        done = "The post is hidden; its open reports are resolved."
        explanation = (
            "Only its author will still see it, marked hidden. Its open reports will be resolved."
        )
    else:
        verb, apply = "Unhide", post.unhide
        done, explanation = "The post is visible to everyone again.", "Everyone will see it again."
    return Action(
        name=f"post.{verb.lower()}",
        target=post,
        apply=apply,
        button=f"{verb} post",
        heading=f"{verb} this post",
        explanation=explanation,
        done=done,
        destination=url_for("posts.view", post_id=post.id),
        gone=POST_GONE,
        already=already,
        shown={"post": post},
        danger=hide,
    )


def user_suspension(username: str, suspend: bool) -> Action:
    """Suspending an account, or lifting its suspension.

    Nobody may do this to themselves, and only an admin may do it to staff (a 403 page).
    """
    user = user_or_404(username)
    if user.id == current_user.id:
        abort(403, description="You cannot suspend yourself.")
    if not current_user.may_suspend(user):
        abort(403, description="Only an admin can suspend a moderator or an admin.")

    def apply() -> None:
        user.suspended_at = utcnow() if suspend else None
        # What they did leaves (or comes back to) others' notifications.
        touch_recipients_of(Notification.actor_id == user.id)
        if suspend:
            user.end_sessions()  # for good: lifting the suspension brings none back

    if suspend:
        verb, done = "Suspend", f"{user.username} is suspended."
        explanation = (
            "They will be logged out and unable to log in, and nobody else will see their posts."
        )
    else:
        verb, done = "Unsuspend", f"{user.username} can log in again."
        explanation = "They will be able to log in again, and their posts will be visible."
    return Action(
        name=f"user.{verb.lower()}",
        target=user,
        apply=apply,
        button=f"{verb} {user.username}",
        heading=f"{verb} {user.username}",
        explanation=explanation,
        done=done,
        destination=url_for("main.user", username=user.username),
        gone=f"There is no user called {user.username}.",
        already=AlreadyDone(
            lambda: user.is_suspended == suspend,
            f"{user.username} is {'already' if suspend else 'not'} suspended.",
        ),
        shown={"user": user},
        danger=suspend,
    )


def report_dismissal(report_id: int) -> Action:
    """Resolving a report without acting on the post."""
    # The post and its author come with it: read later, they might have been deleted meanwhile.
    report = db.session.get(
        Report, report_id, options=[so.joinedload(Report.post).joinedload(Post.author)]
    )
    if report is None:
        abort(404, description=REPORT_GONE)
    return Action(
        name="report.dismiss",
        target=report,
        apply=lambda: report.resolve(current_user),
        button="Dismiss report",
        heading="Dismiss this report",
        explanation="The report will be resolved and the post will stay as it is.",
        done="The report is dismissed.",
        destination=url_for("moderation.queue"),
        gone=REPORT_GONE,
        already=AlreadyDone(lambda: not report.is_open, "That report is already resolved."),
        shown={"post": report.post, "report": report},
    )


@bp.route("/post/<id:post_id>/hide", methods=["GET", "POST"])
@require_role("moderator")
def hide_post(post_id: int):
    """Hide a post from everyone but its author; settles its open reports."""
    return confirmed_action(post_hiding(post_id, hide=True))


@bp.route("/post/<id:post_id>/unhide", methods=["GET", "POST"])
@require_role("moderator")
def unhide_post(post_id: int):
    """Show a hidden post to everyone again."""
    return confirmed_action(post_hiding(post_id, hide=False))


@bp.route("/user/<username>/suspend", methods=["GET", "POST"])
@require_role("moderator")
def suspend_user(username: str):
    """Suspend an account: it cannot log in, its sessions end, its posts are hidden."""
    return confirmed_action(user_suspension(username, suspend=True))


@bp.route("/user/<username>/unsuspend", methods=["GET", "POST"])
@require_role("moderator")
def unsuspend_user(username: str):
    """Lift a suspension."""
    return confirmed_action(user_suspension(username, suspend=False))


@bp.route("/report/<id:report_id>/dismiss", methods=["GET", "POST"])
@require_role("moderator")
def dismiss_report(report_id: int):
    """Resolve a report without acting on the post."""
    return confirmed_action(report_dismissal(report_id))


ACTIONS: dict[str, Callable[..., Action]] = {
    "moderation.hide_post": partial(post_hiding, hide=True),
    "moderation.unhide_post": partial(post_hiding, hide=False),
    "moderation.suspend_user": partial(user_suspension, suspend=True),
    "moderation.unsuspend_user": partial(user_suspension, suspend=False),
    "moderation.dismiss_report": report_dismissal,
}


@form_page(ReasonForm, "reason", role="moderator", refill=ACTIONS)
def reason_page(form: ReasonForm) -> str:
    """The confirmation page of the action this request's URL names, with ``form`` (the views
    show it themselves; this is for a form sent back after the session ended)."""
    return confirm_page(ACTIONS[request.endpoint](**request.view_args), form)
