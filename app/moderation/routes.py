"""Views for moderators (admins too): the report queue, hiding posts, suspending accounts.

Every action asks for a reason on a confirmation page (GET) and is done by a POST, which also
writes an audit log entry.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.safe_next import safe_next_path
from app.extensions import db
from app.main.routes import page_links, page_of, user_or_404
from app.models import REPORTS_OLDEST_FIRST, Post, Report, open_reports, record_action
from app.moderation import bp
from app.moderation.forms import ReasonForm
from app.permissions import require_role
from app.types import utcnow


def post_or_404(post_id: int) -> Post:
    """Any post, hidden or not (moderators see them all)."""
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404, description="That post does not exist.")
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
        prev_label="Previous",
        next_label="Next",
        **page_links("moderation.queue", page),
    )


@bp.route("/post/<int:post_id>/hide", methods=["GET", "POST"])
@require_role("moderator")
def hide_post(post_id: int):
    """Hide a post from everyone but its author; settles its open reports."""
    post = post_or_404(post_id)
    if post.is_hidden:
        flash("That post is already hidden.", "info")
        return back_to(url_for("posts.view", post_id=post.id))
    form = ReasonForm("Hide post")
    if form.validate_on_submit():
        post.hide(current_user)
        record_action(current_user, "post.hide", post, form.reason.data)
        db.session.commit()
        flash("The post is hidden; its open reports are resolved.", "success")
        return back_to(url_for("posts.view", post_id=post.id))
    return confirm_page(
        form,
        "Hide this post",
        "Only its author will still see it, marked hidden. Its open reports will be resolved.",
        post=post,
    )


@bp.route("/post/<int:post_id>/unhide", methods=["GET", "POST"])
@require_role("moderator")
def unhide_post(post_id: int):
    """Show a hidden post to everyone again."""
    post = post_or_404(post_id)
    if not post.is_hidden:
        flash("That post is not hidden.", "info")
        return back_to(url_for("posts.view", post_id=post.id))
    form = ReasonForm("Unhide post")
    if form.validate_on_submit():
        post.unhide()
        record_action(current_user, "post.unhide", post, form.reason.data)
        db.session.commit()
        flash("The post is visible to everyone again.", "success")
        return back_to(url_for("posts.view", post_id=post.id))
    return confirm_page(form, "Unhide this post", "Everyone will see it again.", post=post)


def _may_suspend(user) -> None:
    if user.id == current_user.id:
        abort(403, description="You cannot suspend yourself.")
    if user.roles and not current_user.has_role("admin"):
        abort(403, description="Only an admin can suspend a moderator or an admin.")


@bp.route("/user/<username>/suspend", methods=["GET", "POST"])
@require_role("moderator")
def suspend_user(username: str):
    """Suspend an account: it cannot log in, its sessions end, its posts are hidden."""
    user = user_or_404(username)
    _may_suspend(user)
    if user.is_suspended:
        flash(f"{user.username} is already suspended.", "info")
        return back_to(url_for("main.user", username=user.username))
    form = ReasonForm(f"Suspend {user.username}")
    if form.validate_on_submit():
        user.suspended_at = utcnow()
        record_action(current_user, "user.suspend", user, form.reason.data)
        db.session.commit()
        flash(f"{user.username} is suspended.", "success")
        return back_to(url_for("main.user", username=user.username))
    return confirm_page(
        form,
        f"Suspend {user.username}",
        "They will be logged out and unable to log in, and nobody else will see their posts.",
        user=user,
    )


@bp.route("/user/<username>/unsuspend", methods=["GET", "POST"])
@require_role("moderator")
def unsuspend_user(username: str):
    """Lift a suspension."""
    user = user_or_404(username)
    _may_suspend(user)
    if not user.is_suspended:
        flash(f"{user.username} is not suspended.", "info")
        return back_to(url_for("main.user", username=user.username))
    form = ReasonForm(f"Unsuspend {user.username}")
    if form.validate_on_submit():
        user.suspended_at = None
        record_action(current_user, "user.unsuspend", user, form.reason.data)
        db.session.commit()
        flash(f"{user.username} can log in again.", "success")
        return back_to(url_for("main.user", username=user.username))
    return confirm_page(
        form,
        f"Unsuspend {user.username}",
        "They will be able to log in again, and their posts will be visible.",
        user=user,
    )


@bp.route("/report/<int:report_id>/dismiss", methods=["GET", "POST"])
@require_role("moderator")
def dismiss_report(report_id: int):
    """Resolve a report without acting on the post."""
    report = db.session.get(Report, report_id)
    if report is None:
        abort(404, description="That report does not exist.")
    if not report.is_open:
        flash("That report is already resolved.", "info")
        return back_to(url_for("moderation.queue"))
    form = ReasonForm("Dismiss report")
    if form.validate_on_submit():
        report.resolve(current_user)
        record_action(current_user, "report.dismiss", report, form.reason.data)
        db.session.commit()
        flash("The report is dismissed.", "success")
        return back_to(url_for("moderation.queue"))
    return confirm_page(
        form,
        "Dismiss this report",
        "The report will be resolved and the post will stay as it is.",
        post=report.post,
        report=report,
    )
