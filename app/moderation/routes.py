"""Views for moderators (admins too): the report queue, hiding posts, suspending accounts.

Every action asks for a reason on a confirmation page (GET) and is done by a POST, which also
writes an audit log entry.
"""

from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.safe_next import safe_next_path
from app.extensions import db
from app.gone import gone_is_404, lock_and_reload
from app.lookups import user_or_404
from app.models import USERS_BY_NAME, Post, User
from app.models.moderation import (
    REPORTS_OLDEST_FIRST,
    Report,
    open_reports,
    record_action,
    suspended_users,
)
from app.moderation import bp
from app.moderation.forms import ReasonForm
from app.pages import page_links, page_of
from app.permissions import require_role
from app.types import utcnow

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


def confirm_page(form: ReasonForm, heading: str, explanation: str, **target):
    """The confirmation page: what will happen, to what (post, user or report), and why."""
    return render_template(
        "moderation/confirm.html",
        title=heading,
        heading=heading,
        explanation=explanation,
        form=form,
        back_url=safe_next_path(request.args.get("next")) or url_for("moderation.queue"),
        **target,
    )


@bp.route("/")
@require_role("moderator")
def queue():
    """Open reports, oldest first."""
    page = page_of(open_reports(), REPORTS_OLDEST_FIRST)
    return render_template(
        "moderation/queue.html",
        title="Moderation queue",
        reports=page.items,
        **page_links("moderation.queue", page),
    )


@bp.route("/suspended")
@require_role("moderator")
def suspended():
    """Suspended accounts, alphabetically, each with a way to lift the suspension."""
    page = page_of(suspended_users(), USERS_BY_NAME)
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


def confirmed_action(
    form: ReasonForm,
    *,
    action: str,
    target: Post | User | Report,
    apply: Callable[[], None],
    done: str,
    destination: str,
    confirm: tuple[str, str],
    gone: str,
    already: AlreadyDone,
    **shown,
):
    """The flow every moderation action shares.

    A valid POST applies the change, writes the audit entry ``action`` with the reason, commits,
    says ``done`` and goes back; anything else shows the ``(heading, explanation)`` confirmation
    page with ``shown`` (the post, user or report concerned). If the target was deleted
    meanwhile, nothing is written and the answer is the 404 page ``gone``. If another moderator
    made the change meanwhile (``already``, checked once the target is locked), this request
    says so and writes nothing: no second audit entry.
    """
    if form.validate_on_submit():
        with gone_is_404(gone):
            if not lock_and_reload(target):
                db.session.rollback()
                abort(404, description=gone)
            if already.check():
                db.session.rollback()
                return already.say(destination)
            apply()
            record_action(current_user, action, target, form.reason.data)
            db.session.commit()
        flash(done, "success")
        return back_to(destination)
    return confirm_page(form, *confirm, **shown)


def set_post_hidden(post_id: int, hide: bool):
    """Hide or unhide a post, once the moderator confirms and says why."""
    post = post_or_404(post_id)
    destination = url_for("posts.view", post_id=post.id)
    already = AlreadyDone(
        lambda: post.is_hidden == hide, f"That post is {'already' if hide else 'not'} hidden."
    )
    if already.check():
        return already.say(destination)
    if hide:
        verb, apply = "Hide", lambda: post.hide(current_user)
        done = "The post is hidden; its open reports are resolved."
        explanation = (
            "Only its author will still see it, marked hidden. Its open reports will be resolved."
        )
    else:
        verb, apply = "Unhide", post.unhide
        done, explanation = "The post is visible to everyone again.", "Everyone will see it again."
    return confirmed_action(
        ReasonForm(f"{verb} post", danger=hide),
        action=f"post.{verb.lower()}",
        target=post,
        apply=apply,
        done=done,
        destination=destination,
        confirm=(f"{verb} this post", explanation),
        gone=POST_GONE,
        already=already,
        post=post,
    )


@bp.route("/post/<id:post_id>/hide", methods=["GET", "POST"])
@require_role("moderator")
def hide_post(post_id: int):
    """Hide a post from everyone but its author; settles its open reports."""
    return set_post_hidden(post_id, hide=True)


@bp.route("/post/<id:post_id>/unhide", methods=["GET", "POST"])
@require_role("moderator")
def unhide_post(post_id: int):
    """Show a hidden post to everyone again."""
    return set_post_hidden(post_id, hide=False)


def set_user_suspended(username: str, suspend: bool):
    """Suspend an account or lift its suspension, once the moderator confirms and says why.

    Nobody may do this to themselves, and only an admin may do it to staff.
    """
    user = user_or_404(username)
    if user.id == current_user.id:
        abort(403, description="You cannot suspend yourself.")
    if not current_user.may_suspend(user):
        abort(403, description="Only an admin can suspend a moderator or an admin.")
    destination = url_for("main.user", username=user.username)
    already = AlreadyDone(
        lambda: user.is_suspended == suspend,
        f"{user.username} is {'already' if suspend else 'not'} suspended.",
    )
    if already.check():
        return already.say(destination)

    def apply() -> None:
        user.suspended_at = utcnow() if suspend else None

    if suspend:
        verb, done = "Suspend", f"{user.username} is suspended."
        explanation = (
            "They will be logged out and unable to log in, and nobody else will see their posts."
        )
    else:
        verb, done = "Unsuspend", f"{user.username} can log in again."
        explanation = "They will be able to log in again, and their posts will be visible."
    return confirmed_action(
        ReasonForm(f"{verb} {user.username}", danger=suspend),
        action=f"user.{verb.lower()}",
        target=user,
        apply=apply,
        done=done,
        destination=destination,
        confirm=(f"{verb} {user.username}", explanation),
        gone=f"There is no user called {user.username}.",
        already=already,
        user=user,
    )


@bp.route("/user/<username>/suspend", methods=["GET", "POST"])
@require_role("moderator")
def suspend_user(username: str):
    """Suspend an account: it cannot log in, its sessions end, its posts are hidden."""
    return set_user_suspended(username, suspend=True)


@bp.route("/user/<username>/unsuspend", methods=["GET", "POST"])
@require_role("moderator")
def unsuspend_user(username: str):
    """Lift a suspension."""
    return set_user_suspended(username, suspend=False)


@bp.route("/report/<id:report_id>/dismiss", methods=["GET", "POST"])
@require_role("moderator")
def dismiss_report(report_id: int):
    """Resolve a report without acting on the post."""
    # The post and its author come with it: read later, they might have been deleted meanwhile.
    report = db.session.get(
        Report, report_id, options=[so.joinedload(Report.post).joinedload(Post.author)]
    )
    if report is None:
        abort(404, description=REPORT_GONE)
    already = AlreadyDone(lambda: not report.is_open, "That report is already resolved.")
    if already.check():
        return already.say(url_for("moderation.queue"))
    return confirmed_action(
        ReasonForm("Dismiss report"),
        action="report.dismiss",
        target=report,
        apply=lambda: report.resolve(current_user),
        done="The report is dismissed.",
        destination=url_for("moderation.queue"),
        confirm=(
            "Dismiss this report",
            "The report will be resolved and the post will stay as it is.",
        ),
        gone=REPORT_GONE,
        already=already,
        post=report.post,
        report=report,
    )
