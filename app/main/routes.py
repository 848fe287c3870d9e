"""Views for timelines, profiles, following and avatars."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
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
from app.listings.people import (
    follower_cards,
    following_cards,
    forget_suggestions,
)
from app.listings.posts import explore_cards, profile_cards
from app.listings.timeline import build_missing_home_feed, deepen_home_feed, home_timeline
from app.main.avatars import identicon_svg
from app.main.forms import EditProfileForm, PostForm
from app.models import User, profile_stats
from app.models.posting import publish
from app.web.account_fields import TAKEN_USERNAME_MESSAGE
from app.web.form_pages import form_page
from app.web.forms import EmptyForm, require_button_form
from app.web.notices import notify
from app.web.outages import optional_write
from app.web.permissions import require_confirmed_email
from app.web.ratelimits import rate_limit, user_or_address
from app.web.rows import user_or_404
from app.web.sessions import record_activity, switch_session
from app.web.urls import safe_next_path

bp = Blueprint("main", __name__, template_folder="templates")

AVATAR_SIZES = range(16, 513)


@bp.before_app_request
def record_last_seen() -> None:
    """Note that the current user, and this login session, are active (written at most once a
    minute), and renew the session after a role change: one commit, only if anything changed.

    The request is a read as often as not; the note is written on the side, in
    :func:`optional_write`: if the database refuses it (read-only for a moment, a full disk),
    it is rolled back and logged, and the page goes on, with the read-only banner.
    """
    if request.endpoint in ("static", "main.avatar", "main.healthz"):
        return  # these need no user, so don't load one from the database
    if request.endpoint == "notifications.unread":
        return  # a page asking in the background: not the person's activity, and never a write
    if not current_user.is_authenticated:
        return
    user = current_user._get_current_object()
    with optional_write("note when the user was last seen"):
        activity = record_activity(user)
        if activity.written:
            db.session.commit()
        if activity.renewed is not None:
            switch_session(user, activity.renewed)


@bp.app_template_global()
def blank_post_form() -> PostForm:
    """A post box with nothing in it, for the kept fragment of home's blank form: made from
    no request (and without its CSRF field, which the fragment's mark stands for)."""
    return PostForm(formdata=None, meta={"csrf": False})


@form_page(PostForm, "post", refill=["main.index"])
def home_page(form: PostForm | None) -> str:
    """The home page: ``form`` in the post box above the current user's timeline (its feed
    built first on the reader's first visit, and made deeper for a page past it); None: the
    blank box (the kept fragment)."""
    build_missing_home_feed(current_user)
    deepen_home_feed(current_user, request.args.get("after"))
    page = page_of(home_timeline(current_user))
    return render_template(
        "main/index.html",
        title="Home",
        form=form,
        posts=page.items,
        # Only asked when the page is empty: it decides whether to suggest exploring.
        following_anyone=bool(page.items) or current_user.following_count() > 0,
        **page_links("main.index", page),
    )


@bp.route("/index", methods=["GET", "POST"])
@bp.route("/", methods=["GET", "POST"])
@rate_limit(
    "RATELIMIT_POST",
    key=user_or_address,
    scope="posting",
    page=home_page,
    refusal="You are posting too often",
)
@login_required
def index():
    """Home: the post box and the timeline of followed users and oneself.

    Only a POST makes the form: a GET shows the blank box, a kept fragment (making a
    ``PostForm`` to show nothing cost every home page 0.07 ms).
    """
    if request.method != "POST":
        return home_page(None)
    require_confirmed_email("posting")
    form = PostForm()
    if form.validate_on_submit():
        # A double submit answers like the first one, without a second copy of the post.
        publish(current_user, form.post.data)
        db.session.commit()
        notify("posted")  # a cookie of its own: the session cookie is not signed again
        return redirect(url_for("main.index"))
    return home_page(form)


@bp.route("/explore")
@login_required
def explore():
    """Every post on the site, newest first."""
    page = page_of(explore_cards(current_user))
    return render_template(
        "main/explore.html",
        title="Explore",
        posts=page.items,
        **page_links("main.explore", page),
    )


@bp.route("/user/<username>")
@login_required
def user(username: str):
    """A profile: who they are and what they wrote (the Posts tab: no replies)."""
    return profile_page("main.user", username, with_replies=False)


@bp.route("/user/<username>/with_replies")
@login_required
def user_with_replies(username: str):
    """A profile's Posts and replies tab."""
    return profile_page("main.user_with_replies", username, with_replies=True)


def profile_page(endpoint: str, username: str, with_replies: bool):
    """A profile with one of its tabs of posts (``endpoint`` is the tab's)."""
    user = user_or_404(username)
    if user.username != username:
        cursors = {k: v for k, v in request.args.items() if k in ("after", "before")}
        # Not permanent: the spelling belongs to whoever has the name now.
        return redirect(url_for(endpoint, username=user.username, **cursors))
    page = page_of(profile_cards(user, current_user, with_replies=with_replies))
    return render_template(
        "main/user.html",
        title=user.username,
        user=user,
        stats=profile_stats(user, current_user),
        posts=page.items,
        form=EmptyForm(),
        with_replies=with_replies,
        **page_links(endpoint, page, username=user.username),
    )


@bp.route("/user/<username>/followers")
@login_required
def followers(username: str):
    """Who follows this user."""
    user = user_or_404(username)
    return people_page(
        "main.followers",
        user,
        page_of(follower_cards(user, current_user)),
        title=f"People following {user.username}",
        empty_text=f"Nobody follows {user.username} yet.",
    )


@bp.route("/user/<username>/following")
@login_required
def following(username: str):
    """Whom this user follows."""
    user = user_or_404(username)
    return people_page(
        "main.following",
        user,
        page_of(following_cards(user, current_user)),
        title=f"People {user.username} follows",
        empty_text=f"{user.username} does not follow anyone yet.",
    )


def people_page(endpoint: str, user: User, page, title: str, empty_text: str) -> str:
    """A page of ``user``'s followers or followings, each with Follow or Unfollow for the reader."""
    return render_template(
        "main/people.html",
        title=title,
        user=user,
        people=page.items,
        empty_text=empty_text,
        **page_links(endpoint, page, username=user.username),
    )


@form_page(
    lambda: EditProfileForm(current_user.username),
    "about_me",
    refill=["main.edit_profile"],
)
def edit_profile_page(form: EditProfileForm) -> str:
    """The form that changes one's username and about-me text."""
    return render_template("main/edit_profile.html", title="Edit profile", form=form)


@bp.route("/edit_profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    """Change one's username and about-me text."""
    form = EditProfileForm(current_user.username)
    if form.validate_on_submit():
        current_user.username = form.username.data
        current_user.about_me = form.about_me.data or None
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # Someone took the name between the check and the write.
            db.session.rollback()
            form.username.errors.append(TAKEN_USERNAME_MESSAGE)
        else:
            flash("Your changes have been saved.", "success")
            return redirect(url_for("main.user", username=current_user.username))
    elif request.method == "GET":
        form.username.data = current_user.username
        form.about_me.data = current_user.about_me
    return edit_profile_page(form)


def _follow_change(username: str, following: bool):
    require_button_form()
    user = user_or_404(username)
    # Read before committing: the account may be deleted meanwhile, and an expired object
    # would then fail to reload.
    name = user.username
    if user.id == current_user.id:
        flash("You cannot follow yourself.", "warning")
        return redirect(url_for("main.user", username=name))
    if following:
        # Unfollowing stays open to everyone: it only takes something away.
        require_confirmed_email("following people")
        try:
            current_user.follow(user)
            db.session.commit()
        except sa.exc.IntegrityError:
            # The account was deleted after it was looked up: the row would point at nobody.
            db.session.rollback()
            user_or_404(username)
            raise
        flash(f"You are following {name}.", "success")
    else:
        current_user.unfollow(user)
        db.session.commit()
        flash(f"You are not following {name}.", "success")
    forget_suggestions(current_user)
    # Back to the list the button was on, if it was on one.
    return redirect(safe_next_path(request.args.get("next")) or url_for("main.user", username=name))


@bp.route("/follow/<username>", methods=["POST"])
@rate_limit("RATELIMIT_FOLLOW", key=user_or_address, scope="follow")
@login_required
def follow(username: str):
    """Start following ``username``."""
    return _follow_change(username, following=True)


@bp.route("/unfollow/<username>", methods=["POST"])
@rate_limit("RATELIMIT_FOLLOW", key=user_or_address, scope="follow")
@login_required
def unfollow(username: str):
    """Stop following ``username``."""
    return _follow_change(username, following=False)


@bp.route("/avatar/<int:user_id>/<int:size>.svg")
def avatar(user_id: int, size: int):
    """A user's identicon; it depends only on the id, so browsers may cache it for long."""
    if size not in AVATAR_SIZES:
        abort(404)
    response = Response(identicon_svg(f"chirp-user-{user_id}", size), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 86400
    return response


@bp.route("/healthz")
def healthz():
    """A tiny page for uptime checks, and the benchmark's floor.

    It goes through the whole framework (routing, session, template) but not the database,
    so ``bench/run.py`` compares every other page with it.
    """
    return render_template("main/healthz.html")
