"""Views for likes: the Like button of every card, a post's likers, one's own liked posts."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.extensions import db
from app.listings.likes import liked_posts, liker_cards
from app.listings.pages import page_links, page_of
from app.models import like, like_count, profile_stats, unlike
from app.posts.routes import (
    GONE,
    may_reply_to,
    still_visible_or_404,
    visible_post_or_404,
    visible_thread_post_or_404,
)
from app.web.forms import EmptyForm, require_button_form
from app.web.permissions import require_confirmed_email
from app.web.ratelimits import rate_limit, user_or_address
from app.web.rows import forget_deleted_user, user_or_404
from app.web.urls import safe_next_path

bp = Blueprint("likes", __name__, template_folder="templates")

UNLIKABLE = "Nobody but its author sees this post: it cannot be liked."


@bp.route("/post/<id:post_id>/like", methods=["POST"])
@rate_limit("RATELIMIT_LIKE", key=user_or_address, scope="like")
@login_required
def like_post(post_id: int):
    """Like a post (liking it again changes nothing)."""
    require_button_form()
    require_confirmed_email("liking posts")
    post = visible_post_or_404(post_id)
    if not may_reply_to(post):
        abort(403, description=UNLIKABLE)
    # Held until the like is in: a post deleted, hidden or its author suspended meanwhile gets
    # none (its 404 then, as for reading it).
    still_visible_or_404(post_id)
    if not may_reply_to(post):
        db.session.rollback()
        abort(403, description=UNLIKABLE)
    try:
        like(current_user, post)
        db.session.commit()
    except sa.exc.IntegrityError:
        # Only the liker can be missing now (the post is locked): their account was deleted.
        db.session.rollback()
        forget_deleted_user()
        abort(404, description=GONE)
    return _answer(post_id, liked=True)


@bp.route("/post/<id:post_id>/unlike", methods=["POST"])
@rate_limit("RATELIMIT_LIKE", key=user_or_address, scope="like")
@login_required
def unlike_post(post_id: int):
    """Take one's like of a post back (open to unconfirmed accounts: it only takes away)."""
    require_button_form()
    post = visible_post_or_404(post_id)
    unlike(current_user, post)
    db.session.commit()
    return _answer(post_id, liked=False)


def _answer(post_id: int, liked: bool) -> Response:
    """JSON for the in-place toggle (chirp.js asks for it), else back to where the button was.

    The JSON carries what the card shows next: whether the reader likes the post, its count
    and where the button sends next. By id: the post, expired by the commit, may be deleted by
    now (its count is then 0).
    """
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    ):
        count = like_count(post_id)
        endpoint = "likes.unlike_post" if liked else "likes.like_post"
        return jsonify(
            liked=liked,
            count=count,
            words="like" if count == 1 else "likes",
            action=url_for(endpoint, post_id=post_id),
        )
    return redirect(back_to_card(post_id))


def back_to_card(post_id: int) -> str:
    """The page the button was on (from ``Referer``, when it is a page of this site), at the
    post's card; the post's own page otherwise.

    Cards are shared by every page that shows the post (see app/listings/cards.py), so their
    forms cannot name the page: the browser does, in ``Referer`` (kept to this site by the
    Referrer-Policy).
    """
    fallback = url_for("posts.view", post_id=post_id)
    source = urlsplit(request.referrer or "")
    if source.netloc != request.host:
        return f"{fallback}#post-{post_id}"
    path = source.path + (f"?{source.query}" if source.query else "")
    return f"{safe_next_path(path) or fallback}#post-{post_id}"


@bp.route("/post/<id:post_id>/likes")
@login_required
def liked_by(post_id: int):
    """Who liked a post, the newest like first, a page at a time."""
    card = visible_thread_post_or_404(post_id).card
    page = page_of(liker_cards(card, current_user))
    return render_template(
        "likes/liked_by.html",
        title=f"Liked by — post by {card.author_username}",
        card=card,
        people=page.items,
        **page_links("likes.liked_by", page, post_id=card.id),
    )


@bp.route("/user/<username>/likes")
@login_required
def liked_posts_page(username: str):
    """The posts one liked, newest like first: a tab of one's own profile, nobody else's (to
    anyone else it does not exist)."""
    user = user_or_404(username)
    if user.id != current_user.id:
        abort(404)
    if user.username != username:
        cursors = {k: v for k, v in request.args.items() if k in ("after", "before")}
        return redirect(url_for("likes.liked_posts_page", username=user.username, **cursors))
    page = page_of(liked_posts(user))
    return render_template(
        "main/user.html",
        title=f"{user.username}: likes",
        user=user,
        stats=profile_stats(user, current_user),
        posts=[item.card for item in page.items],
        form=EmptyForm(),
        with_replies=False,
        **page_links("likes.liked_posts_page", page, username=user.username),
    )
