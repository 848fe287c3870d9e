"""Views for one post: its thread (its permalink), replying, edit, delete (after confirmation)
and report."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.extensions import db
from app.listings.pages import page_links, page_of
from app.listings.posts import PostCard
from app.listings.threads import ThreadItem, thread_ancestors, thread_post, thread_replies
from app.models import Post, Report, open_report_by, open_reports_on
from app.models.notifications import Notification, touch_recipients_of
from app.posts.forms import DeletePostForm, EditPostForm, ReplyForm, ReportForm
from app.web.form_pages import form_page
from app.web.permissions import require_confirmed_email
from app.web.ratelimits import rate_limit, user_or_address
from app.web.rows import forget_deleted_user, gone_is_404, lock_row

bp = Blueprint("posts", __name__, template_folder="templates")

GONE = "That post does not exist or is no longer available."
UNANSWERABLE = "Nobody but its author sees this post: it cannot be answered."


def visible_post_or_404(post_id: int) -> Post:
    """The post, if the current user may see it; hidden posts look missing to others.

    Its author comes in the same statement: read later, they might have been deleted meanwhile.
    """
    post = db.session.get(Post, post_id, options=[so.joinedload(Post.author)])
    if post is None or not post.is_visible_to(current_user):
        abort(404, description=GONE)
    return post


def visible_thread_post_or_404(post_id: int) -> ThreadItem:
    """The post as the pages about it show it (its card, with its author, and its place in
    its conversation), if the current user may see it, as :func:`visible_post_or_404`
    decides: one statement, and no ORM object (its thread page, who liked it)."""
    item = thread_post(post_id, current_user)
    if item is None or not (item.visible or current_user.has_role("moderator")):
        abort(404, description=GONE)
    return item


def still_visible_or_404(post_id: int) -> None:
    """Check again, from the database, that the current user may see the post.

    Another request may have deleted or hidden it, or suspended its author, since this one loaded
    it: then what this request wrote is undone and it answers as if it had come just after. The
    post stays locked until this request commits, so a moderator hiding it now waits, and then
    settles what this request wrote (a report) with the others.
    """
    if not lock_row(Post, post_id):
        db.session.rollback()
        abort(404, description=GONE)
    post = db.session.scalar(
        sa.select(Post)
        .where(Post.id == post_id)
        .options(so.joinedload(Post.author))
        .execution_options(populate_existing=True)
    )
    if post is None or not post.is_visible_to(current_user):
        db.session.rollback()
        abort(404, description=GONE)


def own_post_or_403(post_id: int) -> Post:
    """The current user's own post (403 if it is someone else's)."""
    post = visible_post_or_404(post_id)
    if post.user_id != current_user.id:
        abort(403, description="Only its author can change or delete a post.")
    return post


def may_reply_to(post: Post) -> bool:
    """Whether a post can be answered: not once nobody but its author sees it."""
    return not post.is_hidden and not post.author.is_suspended


def may_reply_to_card(card: PostCard) -> bool:
    """:func:`may_reply_to` by a post's card."""
    return not card.is_hidden and not card.author_is_suspended


@bp.app_template_global()
def blank_reply_form() -> ReplyForm:
    """A reply box with nothing in it, for the kept fragment of a thread page's blank box
    (posts/_reply_box.html): made from no request (and without its CSRF field, which the
    fragment's mark stands for)."""
    return ReplyForm(formdata=None, meta={"csrf": False})


@form_page(ReplyForm, "post", refill=["posts.reply"])
def thread_page(form: ReplyForm | None) -> str:
    """The thread of the post this request's URL names, with ``form`` in its reply box (None:
    the blank box, a kept fragment)."""
    item = visible_thread_post_or_404(request.view_args["post_id"])
    card = item.card
    moderated, reports = None, []
    if current_user.has_role("moderator"):
        # Who hid it, and the open reports: for moderators only, from the ORM post.
        moderated = db.session.get(Post, card.id)
        if moderated is None:
            abort(404, description=GONE)
        reports = db.session.scalars(open_reports_on(moderated)).all()
    page = page_of(thread_replies(item, current_user))
    return render_template(
        "posts/post.html",
        title=f"Post by {card.author_username}",
        post=item,
        card=card,
        moderated=moderated,
        reports=reports,
        ancestors=thread_ancestors(item, current_user),
        replies=page.items,
        may_reply=may_reply_to_card(card),
        form=form,
        # The Reply button on a card brings the reader here to write.
        replying=bool(form and form.errors) or "reply" in request.args,
        **page_links("posts.view", page, post_id=card.id),
    )


@bp.route("/post/<id:post_id>")
@login_required
def view(post_id: int):
    """A post's own page (its permalink): its thread, with a box to reply.

    The box is blank (a kept fragment, no ``ReplyForm`` made: 0.07 ms a page) but for
    "?reply" on someone else's post, which starts the reply with their name.
    """
    form = None
    if "reply" in request.args:
        post = visible_post_or_404(post_id)
        if post.user_id != current_user.id:
            form = ReplyForm()
            form.post.data = f"@{post.author.username} "
    return thread_page(form)


@bp.route("/post/<id:post_id>/reply", methods=["POST"])
@rate_limit(
    "RATELIMIT_POST",
    key=user_or_address,
    scope="posting",
    page=thread_page,
    refusal="You are posting too often",
)
@login_required
def reply(post_id: int):
    """Answer a post; the reply follows every rule of posting."""
    require_confirmed_email("replying")
    post = visible_post_or_404(post_id)
    if not may_reply_to(post):
        abort(403, description=UNANSWERABLE)
    form = ReplyForm()
    if form.validate_on_submit():
        # A double submit answers like the first one, without a second copy of the reply.
        if not current_user.just_posted(form.post.data):
            # Held until the reply is in: a post deleted or hidden meanwhile gets no reply.
            still_visible_or_404(post_id)
            if not may_reply_to(post):
                db.session.rollback()
                abort(403, description=UNANSWERABLE)
            try:
                post.reply(current_user, form.post.data)
            except ValueError as refusal:
                db.session.rollback()
                form.post.errors.append(str(refusal))
                return thread_page(form)
            db.session.commit()
        flash("Your reply is live!", "success")
        return redirect(url_for("posts.view", post_id=post_id))
    return thread_page(form)


@form_page(EditPostForm, "post", refill=["posts.edit"])
def edit_page(form: EditPostForm) -> str:
    """The form that edits the post this request's URL names."""
    post = own_post_or_403(request.view_args["post_id"])
    return render_template("posts/edit.html", title="Edit post", post=post, form=form)


@form_page(ReportForm, "reason", refill=["posts.report"])
def report_page(form: ReportForm) -> str:
    """The report form for the post this request's URL names."""
    post = visible_post_or_404(request.view_args["post_id"])
    return render_template("posts/report.html", title="Report post", post=post, form=form)


@bp.route("/post/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    """Change one's post; it is marked edited and keeps the time it was first posted."""
    post = own_post_or_403(post_id)
    form = EditPostForm()
    if form.validate_on_submit():
        if post.edit(form.post.data):
            with gone_is_404(GONE):
                db.session.commit()
            flash("Your post has been updated.", "success")
        return redirect(url_for("posts.view", post_id=post.id))
    if not form.is_submitted():
        form.post.data = post.body
    return edit_page(form)


@bp.route("/post/<id:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete(post_id: int):
    """Ask first (GET), then delete one's post for good (POST)."""
    post = own_post_or_403(post_id)
    form = DeletePostForm()
    if form.validate_on_submit():
        # Its notifications go with it (the database's cascade): their counts change.
        touch_recipients_of(Notification.post_id == post.id)
        # Nothing deleted: it went meanwhile (from another tab, or with its author's account).
        if db.session.execute(sa.delete(Post).where(Post.id == post.id)).rowcount == 0:
            db.session.rollback()
            forget_deleted_user()
            abort(404, description=GONE)
        db.session.commit()
        flash("Your post has been deleted.", "success")
        return redirect(url_for("main.user", username=current_user.username))
    return render_template("posts/delete.html", title="Delete post", post=post, form=form)


@bp.route("/post/<id:post_id>/report", methods=["GET", "POST"])
@rate_limit(
    "RATELIMIT_REPORT",
    key=user_or_address,
    page=report_page,
    refusal="You are sending many reports",
)
@login_required
def report(post_id: int):
    """Send a post to the moderation queue with a reason."""
    post = visible_post_or_404(post_id)
    if post.user_id == current_user.id:
        abort(403, description="You cannot report your own post; you can edit or delete it.")
    if post.is_hidden or post.author.is_suspended:  # what a moderator may still open
        flash("Nobody but its author sees this post any more: there is nothing to report.", "info")
        return redirect(url_for("posts.view", post_id=post.id))
    if open_report_by(post, current_user) is not None:
        flash("You have already reported this post; the moderators will look at it.", "info")
        return redirect(url_for("posts.view", post_id=post.id))
    if request.method == "POST":
        require_confirmed_email("reporting posts")
    form = ReportForm()
    if form.validate_on_submit():
        db.session.add(Report(post=post, reporter=current_user, reason=form.reason.data))
        try:
            db.session.flush()
        except sa.exc.IntegrityError:
            # The same report sent twice at once (one is enough), or the post deleted meanwhile
            # (its foreign key fails), which the check below finds.
            db.session.rollback()
        still_visible_or_404(post_id)
        db.session.commit()
        flash("Thank you. The moderators will look at this post.", "success")
        return redirect(url_for("posts.view", post_id=post.id))
    return report_page(form)
