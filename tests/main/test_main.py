"""Timelines, posting, profiles and following, as a logged-in user sees them."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g, render_template_string
from flask_wtf.csrf import generate_csrf

from app.main.forms import PostForm
from app.models import Post, User
from app.models.types import utcnow
from tests.helpers import csrf_token_from

PAGES = [
    "/",
    "/index",
    "/explore",
    "/user/alice",
    "/user/alice/followers",
    "/user/alice/following",
    "/edit_profile",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_sent_to_login(client, alice, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_logged_in_user(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 200
    assert "<title>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/", {"post": "hi"}),
        ("/follow/bob", {}),
        ("/unfollow/bob", {}),
        ("/edit_profile", {"username": "alice2"}),
        ("/auth/logout", {}),
    ],
)
def test_state_changes_need_a_csrf_token(alice_client, alice, bob, db, url, data):
    response = alice_client.post(url, data=data)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    assert alice.username == "alice"
    assert not alice.is_following(bob)


def test_a_post_with_a_forged_token_is_refused_and_stores_nothing(alice_client, db):
    alice_client.get("/")  # the session has its CSRF secret: the token is what is wrong
    response = alice_client.post("/", data={"csrf_token": "forged", "post": "hi"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_the_post_box_checks_the_token_itself_unless_csrfprotect_has(app):
    """CSRFProtect checks each POST's token before the view: the post form then makes no
    CSRF field (its page puts the token in through the fragments' mark). Where it has not
    checked (the protection switched off for a view), the form checks the token."""
    site = app.config["SITE_URL"]
    with app.test_request_context("/", method="POST", data={"post": "hi"}, base_url=site):
        unchecked = PostForm()
        assert "csrf_token" in unchecked
        assert not unchecked.validate_on_submit()
        assert unchecked.csrf_token.errors
    with app.test_request_context("/", method="POST", data={"post": "hi"}, base_url=site):
        g.csrf_valid = True  # as CSRFProtect marks a request whose token it has checked
        checked = PostForm()
        assert "csrf_token" not in checked
        assert checked.validate_on_submit()


def test_a_refused_post_comes_back_with_a_token_that_posts(alice_client, db):
    page = alice_client.submit("/", {"post": "x" * 141}).get_data(as_text=True)
    response = alice_client.post("/", data={"csrf_token": csrf_token_from(page), "post": "short"})
    assert response.status_code == 302
    assert post_bodies(db) == ["short"]


def test_post_appears_on_home_and_explore(alice_client, db):
    response = alice_client.submit("/", {"post": "  my first chirp  "})
    assert response.headers["Location"] == "/"
    post = db.session.scalar(sa.select(Post))
    assert post.body == "my first chirp"
    assert "my first chirp" in alice_client.get("/").get_data(as_text=True)
    assert "my first chirp" in alice_client.get("/explore").get_data(as_text=True)


def post_bodies(db) -> list[str]:
    return db.session.scalars(sa.select(Post.body).order_by(Post.id)).all()


def test_a_double_submitted_post_is_posted_once(alice_client, db):
    """A double click on Post sends the form twice: both answers are a success, one post."""
    token = csrf_token_from(alice_client.get("/").get_data(as_text=True))
    for _ in range(2):
        response = alice_client.post("/", data={"csrf_token": token, "post": "hello there"})
        assert response.headers["Location"] == "/"
    assert "Your post is live!" in alice_client.get("/").get_data(as_text=True)
    assert post_bodies(db) == ["hello there"]


def test_saying_the_same_again_later_or_something_else_is_a_new_post(
    alice_client, alice, make_post, db
):
    make_post(alice, "good morning", timestamp=utcnow() - timedelta(minutes=5))
    alice_client.submit("/", {"post": "good morning"})
    alice_client.submit("/", {"post": "good morning!"})
    assert post_bodies(db) == ["good morning", "good morning", "good morning!"]


def test_only_the_newest_post_counts_as_sent_twice(alice_client, db):
    """Saying again, at once, what one said before one's newest post is a new post: only a
    repeat of the newest is a double click (the post box checks it in its insert)."""
    for body in ["first", "second", "first"]:
        alice_client.submit("/", {"post": body})
    assert post_bodies(db) == ["first", "second", "first"]


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write something first."), ("   ", "Write something first."), ("x" * 141, "at most 140")],
)
def test_rejected_post_keeps_its_text(alice_client, db, body, message):
    response = alice_client.submit("/", {"post": body})
    page = response.get_data(as_text=True)
    assert message in page
    assert body.strip() in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_a_post_written_slowly_is_still_accepted(alice_client, db, monkeypatch):
    """A page left open for hours (a long post, a tab forgotten) must not lose the text to an
    expired form: the CSRF token lasts as long as the session it belongs to."""
    token = csrf_token_from(alice_client.get("/").get_data(as_text=True))
    later = time.time() + 6 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    response = alice_client.post("/", data={"csrf_token": token, "post": "thought it through"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Post.body)) == "thought it through"


def test_post_box_does_not_cut_text_short(alice_client):
    """The browser must not silently truncate a long post: the server explains instead."""
    page = alice_client.get("/").get_data(as_text=True)
    textarea = page[page.index("<textarea") : page.index(">", page.index("<textarea"))]
    assert "maxlength" not in textarea
    assert 'data-max="140"' in textarea


def post_box(page: str) -> str:
    """The post box's form in a home page."""
    start = page.index('<form action="/" method="post"')
    return page[start : page.index("</form>", start) + len("</form>")]


def test_the_kept_blank_post_box_is_the_form_with_each_readers_token(
    app, alice_client, bob, client_for
):
    # The blank box is a fragment kept per process (main/_compose.html); a box sent back is
    # rendered from its form. Both are the same markup, and each reader gets their own token.
    alice_page = alice_client.get("/").get_data(as_text=True)
    bob_page = client_for("bob").get("/").get_data(as_text=True)
    alice_token, bob_token = csrf_token_from(alice_page), csrf_token_from(bob_page)
    assert alice_token != bob_token
    assert post_box(alice_page).replace(alice_token, "") == post_box(bob_page).replace(
        bob_token, ""
    )
    with app.test_request_context("/", base_url=app.config["SITE_URL"]):
        rendered = render_template_string(
            '{% filter with_csrf_token %}{% include "main/_compose.html" %}{% endfilter %}',
            form=PostForm(),
        )
        token = generate_csrf()
    assert post_box(rendered).replace(token, "") == post_box(alice_page).replace(alice_token, "")
    sent_back = alice_client.submit("/", {"post": "   "}).get_data(as_text=True)
    assert 'aria-invalid="true"' in post_box(sent_back)
    assert csrf_token_from(sent_back)
    assert "<csrf-token>" not in sent_back


def test_a_home_page_read_makes_no_post_form(alice_client, monkeypatch):
    """A GET shows the kept blank box: no PostForm is made for it (only a POST reads one)."""
    alice_client.get("/")  # the blank box's fragment is rendered (once per process) here
    made = []
    original = PostForm.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(PostForm, "__init__", counting)
    page = alice_client.get("/").get_data(as_text=True)
    assert made == []
    assert "<textarea" in post_box(page)
    assert csrf_token_from(page)
    alice_client.submit("/", {"post": "   "})
    assert len(made) == 1


def test_post_of_exactly_140_characters(alice_client, db):
    alice_client.submit("/", {"post": "y" * 140})
    assert db.session.scalar(sa.select(Post.body)) == "y" * 140


def test_line_breaks_count_once_as_the_page_counter_says(alice_client, db):
    # Browsers send a line break in a text area as CRLF; it is one character to the writer.
    body = "\r\n".join(["x" * 19] * 7)  # 133 characters plus 6 breaks
    alice_client.submit("/", {"post": body})
    assert db.session.scalar(sa.select(Post.body)) == body.replace("\r\n", "\n")


def test_post_bodies_are_escaped(alice_client):
    alice_client.submit("/", {"post": "<script>alert(1)</script>"})
    page = alice_client.get("/explore").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_follow_shows_posts_on_home_then_unfollow(alice_client, bob, make_post, alice):
    make_post(bob, "bob was here")
    assert "bob was here" not in alice_client.get("/").get_data(as_text=True)
    response = alice_client.submit("/follow/bob", page="/user/bob")
    assert response.headers["Location"] == "/user/bob"
    assert alice.is_following(bob)
    assert "bob was here" in alice_client.get("/").get_data(as_text=True)
    profile = alice_client.get("/user/bob").get_data(as_text=True)
    assert "Unfollow" in profile
    alice_client.submit("/unfollow/bob", page="/user/bob")
    assert not alice.is_following(bob)
    assert "bob was here" not in alice_client.get("/").get_data(as_text=True)


def test_follow_self_is_refused(alice_client, alice):
    response = alice_client.submit("/follow/alice", page="/", follow_redirects=True)
    assert "You cannot follow yourself." in response.get_data(as_text=True)
    assert alice.following_count() == 0


def test_follow_unknown_user_is_404(alice_client):
    assert alice_client.submit("/follow/ghost", page="/").status_code == 404


def test_follow_is_post_only(alice_client, bob):
    assert alice_client.get("/follow/bob").status_code == 405


def test_empty_home_suggests_explore_and_search(alice_client):
    page = alice_client.get("/").get_data(as_text=True)
    assert "You aren't following anyone yet" in page
    assert '<a href="/explore">explore</a>' in page
    assert '<a href="/search">find someone by name</a>' in page


def test_empty_timeline_of_someone_who_follows_says_what_will_appear(alice_client, alice, bob, db):
    alice.follow(bob)
    db.session.commit()
    page = alice_client.get("/").get_data(as_text=True)
    assert "No posts yet: yours and those of the people you follow will appear here." in page


@pytest.mark.parametrize(
    ("url", "says", "links_to"),
    [
        ("/explore", "Nobody has posted anything yet.", 'href="/"'),
        ("/user/alice", "You haven't posted anything yet", 'href="/"'),
        ("/user/alice/following", "You aren't following anyone yet", 'href="/explore"'),
        ("/user/bob", "bob hasn&#39;t posted anything yet.", None),
        ("/user/bob/following", "bob does not follow anyone yet.", None),
    ],
)
def test_empty_states_say_what_to_do(alice_client, bob, url, says, links_to):
    page = alice_client.get(url).get_data(as_text=True)
    empty = page[page.index('<p class="empty">') :]
    empty = empty[: empty.index("</p>")]
    assert says in empty
    if links_to:
        assert links_to in empty
    else:
        assert "<a " not in empty


def test_profile_shows_counts_and_lists(alice_client, alice, bob, db, make_post):
    bob.follow(alice)
    db.session.commit()
    make_post(alice, "about cats")
    page = alice_client.get("/user/alice").get_data(as_text=True)
    assert "about cats" in page
    assert "<strong>1</strong> post</li>" in page
    assert "<strong>1</strong> follower</a>" in page
    assert f'Joined <time datetime="{alice.created_at:%Y-%m-%d}">{alice.created_at:%B %Y}' in page
    assert "<time datetime=" in page
    bobs_page = alice_client.get("/user/bob").get_data(as_text=True)
    assert "<strong>0</strong> posts</li>" in bobs_page
    assert "<strong>0</strong> followers</a>" in bobs_page
    assert "bob" in alice_client.get("/user/alice/followers").get_data(as_text=True)
    assert "bob" not in alice_client.get("/user/alice/following").get_data(as_text=True)


def test_a_profile_says_when_its_owner_follows_you(alice_client, alice, bob, make_user, db):
    carol = make_user("carol")
    bob.follow(alice)
    alice.follow(carol)  # following someone is not being followed by them
    db.session.commit()
    badge = '<span class="badge badge-quiet">Follows you</span>'
    assert badge in alice_client.get("/user/bob").get_data(as_text=True)
    assert badge not in alice_client.get("/user/carol").get_data(as_text=True)
    assert badge not in alice_client.get("/user/alice").get_data(as_text=True)


def test_profile_of_unknown_user_is_404(alice_client):
    response = alice_client.get("/user/ghost")
    assert response.status_code == 404
    assert "There is no user called ghost." in response.get_data(as_text=True)


def test_profile_name_is_case_insensitive(alice_client):
    response = alice_client.get("/user/ALICE")
    assert response.status_code == 302
    assert response.headers["Location"] == "/user/alice"


def test_the_spelling_redirect_is_not_permanent(alice_client, alice, make_user, db):
    """Names change hands: a browser that kept "/user/Alice -> /user/alice" for ever would loop
    once alice renames herself and a new "Alice" registers (whose page sends /user/alice back)."""
    assert alice_client.get("/user/Alice").status_code == 302
    alice.username = "alicia"
    db.session.commit()
    make_user("Alice", email="another.alice@example.com")
    response = alice_client.get("/user/alice")
    assert (response.status_code, response.headers["Location"]) == (302, "/user/Alice")
    assert alice_client.get("/user/Alice").status_code == 200


def test_edit_profile(alice_client, alice):
    response = alice_client.submit(
        "/edit_profile", {"username": "Alice_W", "about_me": "I like tea"}
    )
    assert response.headers["Location"] == "/user/Alice_W"
    assert alice.username == "Alice_W"
    assert alice.about_me == "I like tea"
    form = alice_client.get("/edit_profile").get_data(as_text=True)
    assert 'value="Alice_W"' in form


def test_edit_profile_rejects_taken_name(alice_client, bob, alice):
    response = alice_client.submit("/edit_profile", {"username": "BOB", "about_me": "kept"})
    page = response.get_data(as_text=True)
    assert "That username is taken" in page
    assert "kept" in page
    assert alice.username == "alice"


def test_edit_profile_cancel_leads_back_to_the_profile_as_it_is(alice_client, bob, alice):
    """Like the other edit forms, it offers a way out; after a refused rename, that is still
    alice's profile, not the name typed in the box."""
    for page in (
        alice_client.get("/edit_profile"),
        alice_client.submit("/edit_profile", {"username": "BOB", "about_me": ""}),
    ):
        html = page.get_data(as_text=True)
        actions = html[html.index('<div class="form-actions">') :]
        assert '<a href="/user/alice">Cancel</a>' in actions[: actions.index("</div>")]


def test_a_name_taken_while_the_profile_form_is_sent_gives_a_form_error(alice_client, alice, db):
    """Someone registers the name between the form's check and the write: the unique
    constraint decides, and alice gets the form back as typed, with the usual error."""

    def someone_was_faster(session, _context, _instances):
        row = {"username": "Robin", "username_key": "robin", "email": "robin@example.com"}
        session.execute(sa.insert(User).values(row))

    sa.event.listen(db.session, "before_flush", someone_was_faster, once=True)
    try:
        response = alice_client.submit(
            "/edit_profile", {"username": "robin", "about_me": "typed with care"}
        )
    finally:
        if sa.event.contains(db.session, "before_flush", someone_was_faster):
            sa.event.remove(db.session, "before_flush", someone_was_faster)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "That username is taken" in page
    assert 'value="robin"' in page
    assert "typed with care</textarea>" in page
    db.session.refresh(alice)
    assert (alice.username, alice.about_me) == ("alice", None)


def test_edit_profile_allows_changing_case_of_own_name(alice_client, alice):
    alice_client.submit("/edit_profile", {"username": "ALICE", "about_me": ""})
    assert alice.username == "ALICE"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "a b", "about_me": ""}, "Usernames are 3 to 32 letters"),
        ({"username": "alice", "about_me": "z" * 141}, "At most 140 characters."),
    ],
)
def test_edit_profile_rejects_bad_input(alice_client, alice, data, message):
    page = alice_client.submit("/edit_profile", data).get_data(as_text=True)
    assert message in page
    assert alice.username == "alice"


def test_timeline_pages_with_newer_and_older_links(alice_client, alice, make_post):
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(7):
        make_post(alice, f"post number {n}", start + timedelta(minutes=n))
    first = alice_client.get("/").get_data(as_text=True)
    assert [f"post number {n}" in first for n in (6, 5, 4, 3)] == [True, True, True, False]
    assert "Newer" not in first
    older = _link(first, "next")
    second = alice_client.get(older).get_data(as_text=True)
    assert "post number 3" in second
    assert "post number 1" in second
    assert "post number 4" not in second
    third = alice_client.get(_link(second, "next")).get_data(as_text=True)
    assert "post number 0" in third
    assert 'rel="next"' not in third
    back = alice_client.get(_link(third, "prev")).get_data(as_text=True)
    assert "post number 3" in back
    assert "post number 1" in back
    assert 'rel="prev"' in back


@pytest.mark.parametrize("gone", ["older", "newer"])
def test_a_page_whose_posts_went_meanwhile_shows_the_nearest_ones(
    alice_client, bob, make_post, db, gone
):
    """Following "Older" (or "Newer") after those posts were deleted shows the last (or first)
    page, not an empty one that says bob never posted and has no way back."""
    start = datetime.now(UTC) - timedelta(hours=1)
    posts = [make_post(bob, f"post number {n}", start + timedelta(minutes=n)) for n in range(5)]
    first = alice_client.get("/user/bob").get_data(as_text=True)
    second = alice_client.get(_link(first, "next")).get_data(as_text=True)
    link = _link(first, "next") if gone == "older" else _link(second, "prev")
    for post in posts[:2] if gone == "older" else posts[2:]:
        db.session.delete(post)
    db.session.commit()
    page = alice_client.get(link).get_data(as_text=True)
    assert "hasn&#39;t posted anything yet" not in page
    if gone == "older":
        assert [f"post number {n}" in page for n in (4, 3, 2)] == [True, True, True]
        assert 'rel="next"' not in page
    else:
        assert [f"post number {n}" in page for n in (1, 0)] == [True, True]
        assert 'rel="prev"' not in page


def _link(page: str, rel: str) -> str:
    import html
    import re

    match = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
    assert match, f"no {rel} link"
    return html.unescape(match.group(1))


@pytest.mark.parametrize("cursor", ["garbage", "1_x", "_", "99999999999999999999999_1"])
def test_bad_page_cursor_is_400(alice_client, cursor):
    response = alice_client.get(f"/explore?after={cursor}")
    assert response.status_code == 400
    assert "page link is not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/explore", "/", "/user/alice"])
def test_a_broken_page_link_offers_that_listings_first_page(alice_client, url):
    page = alice_client.get(f"{url}?before=truncat").get_data(as_text=True)
    assert f'<a href="{url}">Go to the first page</a>' in page


def test_avatar_is_svg_and_cacheable(client):
    response = client.get("/avatar/7/48.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")
    assert "max-age" in response.headers["Cache-Control"]
    assert client.get("/avatar/7/48.svg").data == response.data
    assert client.get("/avatar/7/5000.svg").status_code == 404


def test_last_seen_is_not_written_on_every_request(alice_client, alice, db):
    alice_client.get("/")
    seen = alice.last_seen
    alice_client.get("/explore")
    db.session.refresh(alice)
    assert alice.last_seen == seen
