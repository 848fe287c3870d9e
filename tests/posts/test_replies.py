"""Replying to posts, and a post's page as its thread."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_wtf.csrf import generate_csrf

from app.models import POST_MAX_LENGTH, Post
from app.models.types import utcnow
from app.posts.forms import ReplyForm
from tests.helpers import csrf_token_from, link, refused_form_page

EARLY = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def bodies(page: str) -> list[str]:
    """The texts of the posts on a page, top to bottom (placeholders included)."""
    found = re.findall(r'<p class="post-body"[^>]*>([^<]*)</p>', page)
    return found


def replies_section(page: str) -> str:
    return page.split('id="replies-heading"', 1)[1]


def context_section(page: str) -> str:
    return page.split('class="thread-focus"', 1)[0]


def test_every_card_offers_reply_which_opens_the_composer_prefilled(
    alice_client, alice, bob, make_post
):
    post = make_post(bob, "answer me")
    explore = alice_client.get("/explore").get_data(as_text=True)
    form = re.search(
        rf'<form action="/post/{post.id}" method="get"[^>]*>(.*?)</form>', explore, re.S
    )
    assert form is not None
    assert '<input type="hidden" name="reply" value="1">' in form.group(1)
    page = alice_client.get(f"/post/{post.id}?reply=1").get_data(as_text=True)
    composer = re.search(r"<textarea[^>]*>[^<]*</textarea>", page).group(0)
    assert "autofocus" in composer
    assert re.search(r">\s*@bob </textarea>$", composer)
    # Without asking to reply, the box is there but empty and not focused.
    plain = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    composer = re.search(r"<textarea[^>]*>[^<]*</textarea>", plain).group(0)
    assert "autofocus" not in composer
    assert re.search(r">\s*</textarea>$", composer)


def test_a_thread_page_makes_a_reply_form_only_to_start_a_reply(
    alice_client, bob, make_post, monkeypatch
):
    """The blank box is a kept fragment: a thread page makes a ReplyForm only for "?reply"
    on someone else's post, which it fills with their name."""
    post = make_post(bob, "answer me")
    alice_client.get(f"/post/{post.id}")  # the blank box's fragment is rendered here
    made = []
    original = ReplyForm.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ReplyForm, "__init__", counting)
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert made == []
    assert "<textarea" in reply_box(page, post.id)
    page = alice_client.get(f"/post/{post.id}?reply=1").get_data(as_text=True)
    assert len(made) == 1
    assert re.search(r">\s*@bob </textarea>", reply_box(page, post.id))


def reply_box(page: str, post_id: int) -> str:
    """The reply box's form in a thread page."""
    start = page.index(f'<form action="/post/{post_id}/reply" method="post"')
    return page[start : page.index("</form>", start) + len("</form>")]


@pytest.mark.parametrize("asked", [False, True])
def test_the_kept_blank_reply_box_is_the_form_with_each_readers_token(
    app, alice_client, bob, client_for, make_post, asked
):
    # A blank box is a fragment kept per process (posts/_reply_box.html, with autofocus when
    # the reader asked to reply): the same markup as the box rendered from a blank form, the
    # post's own address around it, and each reader's own token in it.
    post, own = make_post(bob, "answer me"), make_post(bob, "mine")
    url = f"/post/{own.id}" + ("?reply=1" if asked else "")
    alice_page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    bob_page = client_for("bob").get(url).get_data(as_text=True)
    alice_token, bob_token = csrf_token_from(alice_page), csrf_token_from(bob_page)
    assert alice_token != bob_token
    alice_box = reply_box(alice_page, post.id).replace(alice_token, "")
    bob_box = reply_box(bob_page, own.id).replace(bob_token, "")
    assert ("autofocus" in bob_box) is asked
    assert "autofocus" not in alice_box
    with app.test_request_context(url, base_url=app.config["SITE_URL"]):
        rendered = render_template_string(
            f'<form action="/post/{own.id}/reply" method="post" novalidate>'
            '{% filter with_csrf_token %}{% include "posts/_reply_box.html" %}{% endfilter %}'
            "</form>",
            form=ReplyForm(),
            autofocus=asked,
        )
        token = generate_csrf()
    assert token in rendered
    assert _spaced(rendered.replace(token, "")) == _spaced(bob_box)
    if not asked:
        assert _spaced(alice_box.replace(f"/post/{post.id}/", f"/post/{own.id}/")) == _spaced(
            bob_box
        )
    assert "<csrf-token>" not in alice_page + bob_page


def _spaced(html: str) -> str:
    # The same markup, whatever the whitespace between its tags.
    return re.sub(r">\s+", ">", re.sub(r"\s+<", "<", html))


def test_reply_is_posted_under_its_parent(alice_client, alice, bob, make_post, db):
    post = make_post(bob, "answer me")
    response = alice_client.submit(
        f"/post/{post.id}/reply", {"post": "  here you go  "}, page=f"/post/{post.id}"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/post/{post.id}"
    reply = db.session.scalar(sa.select(Post).where(Post.in_reply_to_id == post.id))
    assert reply.body == "here you go"
    assert reply.user_id == alice.id
    assert reply.in_reply_to_user_id == bob.id
    assert reply.conversation_id == post.id
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert bodies(replies_section(page)) == ["here you go"]
    assert f'Replying to <a href="/post/{post.id}">@bob' in page
    assert "<strong>1</strong> reply<" in page


@pytest.mark.parametrize(
    ("text", "error"),
    [("", "Write something first."), ("x" * (POST_MAX_LENGTH + 1), "at most 140 characters")],
)
def test_reply_keeps_the_rules_of_a_post(alice_client, bob, make_post, db, text, error):
    post = make_post(bob, "answer me")
    response = alice_client.submit(
        f"/post/{post.id}/reply", {"post": text}, page=f"/post/{post.id}"
    )
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.in_reply_to_id == post.id)) == 0


def test_unconfirmed_account_cannot_reply(client, login, make_user, bob, make_post, db):
    make_user("carol", confirmed=False)
    login("carol")
    post = make_post(bob, "answer me")
    page = client.get(f"/post/{post.id}?reply=1").get_data(as_text=True)
    assert "Confirm your email address to reply" in page
    response = client.submit(f"/post/{post.id}/reply", {"post": "hi"}, page=f"/post/{post.id}")
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.in_reply_to_id == post.id)) == 0


def test_double_submit_makes_one_reply(alice_client, bob, make_post, db):
    post = make_post(bob, "answer me")
    for _ in range(2):
        response = alice_client.submit(
            f"/post/{post.id}/reply", {"post": "once"}, page=f"/post/{post.id}"
        )
        assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.in_reply_to_id == post.id)) == 1


@pytest.mark.rate_limits
def test_replies_and_posts_share_one_rate_limit(app, alice_client, bob, make_post, db):
    app.config["RATELIMIT_POST"] = "2 per minute"
    post = make_post(bob, "answer me")
    assert alice_client.submit("/", {"post": "first"}).status_code == 302
    assert (
        alice_client.submit(
            f"/post/{post.id}/reply", {"post": "second"}, page=f"/post/{post.id}"
        ).status_code
        == 302
    )
    refused = alice_client.submit(
        f"/post/{post.id}/reply", {"post": "third"}, page=f"/post/{post.id}"
    )
    page = refused_form_page(refused, "You are posting too often", "third</textarea>", max_wait=60)
    assert "answer me" in page  # still the whole thread page


def test_hidden_post_or_suspended_author_cannot_be_answered(
    alice_client, bob, make_staff, make_post, db
):
    post = make_post(bob, "answer me")
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    post.hide(make_staff("mod", "moderator"))
    db.session.commit()
    response = alice_client.post(
        f"/post/{post.id}/reply",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "post": "hi",
        },
    )
    assert response.status_code == 404  # hidden: it looks missing to alice
    mine = make_post(bob, "another")
    bob.suspended_at = utcnow()
    db.session.commit()
    assert alice_client.get("/explore").status_code == 200
    response = alice_client.post(
        f"/post/{mine.id}/reply",
        data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "post": "hi",
        },
    )
    assert response.status_code == 404


def test_reply_to_a_post_deleted_meanwhile_is_404(alice_client, bob, make_post, db):
    post = make_post(bob, "answer me")
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    db.session.execute(sa.delete(Post).where(Post.id == post.id))
    db.session.commit()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = alice_client.post(f"/post/{post.id}/reply", data={"csrf_token": token, "post": "hi"})
    assert response.status_code == 404


def test_thread_shows_ancestors_post_and_replies_in_reading_order(
    app, alice_client, alice, bob, make_post, make_reply
):
    app.config["POSTS_PER_PAGE"] = 25
    root = make_post(bob, "root", EARLY)
    a = make_reply(root, alice, "a", EARLY + timedelta(minutes=1))
    b = make_reply(root, bob, "b", EARLY + timedelta(minutes=2))
    a1 = make_reply(a, bob, "a1", EARLY + timedelta(minutes=3))
    make_reply(a1, alice, "a1x", EARLY + timedelta(minutes=5))
    make_reply(b, alice, "b1", EARLY + timedelta(minutes=4))
    make_reply(a, alice, "a2", EARLY + timedelta(minutes=6))
    page = alice_client.get(f"/post/{root.id}").get_data(as_text=True)
    assert bodies(replies_section(page)) == ["a", "a1", "a1x", "a2", "b", "b1"]
    page = alice_client.get(f"/post/{a1.id}").get_data(as_text=True)
    assert bodies(context_section(page)) == ["root", "a"]
    focus = page.split('class="thread-focus"', 1)[1].split("</article>", 1)[0]
    assert bodies(focus) == ["a1"]
    assert bodies(replies_section(page)) == ["a1x"]
    assert 'class="thread-depth-1"' in page


def test_large_thread_pages_forwards_and_back(app, alice_client, alice, bob, make_post, make_reply):
    app.config["POSTS_PER_PAGE"] = 3
    root = make_post(bob, "root", EARLY)
    expected = []
    for n in range(4):
        top = make_reply(root, alice, f"r{n}", EARLY + timedelta(minutes=n))
        expected.append(f"r{n}")
        sub = make_reply(top, bob, f"r{n}.1", EARLY + timedelta(minutes=n, seconds=30))
        expected.append(f"r{n}.1")
        if n % 2:
            make_reply(sub, alice, f"r{n}.1.1", EARLY + timedelta(minutes=n, seconds=40))
            expected.append(f"r{n}.1.1")
    url, pages = f"/post/{root.id}", []
    while url:
        page = alice_client.get(url).get_data(as_text=True)
        pages.append(bodies(replies_section(page)))
        url = link(page, "next")
        assert url is None or "after=" in url
    assert [body for page in pages for body in page] == expected
    assert all(len(page) == 3 for page in pages[:-1])
    # And back from the last page to the first.
    back = []
    url = link(page, "prev")
    while url:
        page = alice_client.get(url).get_data(as_text=True)
        back.insert(0, bodies(replies_section(page)))
        url = link(page, "prev")
    assert back == pages[:-1]


@pytest.mark.parametrize("cursor", ["x", "-1", "0", "99999999999", "1_2", "١٢"])
def test_bad_thread_cursor_is_400(alice_client, bob, make_post, cursor):
    post = make_post(bob, "root")
    response = alice_client.get(f"/post/{post.id}", query_string={"after": cursor})
    assert response.status_code == 400


def test_deleted_and_hidden_posts_stay_in_place(
    alice_client, alice, bob, make_user, make_staff, make_post, make_reply, db
):
    carol = make_user("carol")
    root = make_post(bob, "root", EARLY)
    middle = make_reply(root, carol, "middle", EARLY + timedelta(minutes=1))
    leaf = make_reply(middle, alice, "leaf", EARLY + timedelta(minutes=2))
    middle.hide(make_staff("mod", "moderator"))
    db.session.commit()
    page = alice_client.get(f"/post/{leaf.id}").get_data(as_text=True)
    assert bodies(context_section(page)) == ["root", "This post is not available."]
    page = alice_client.get(f"/post/{root.id}").get_data(as_text=True)
    assert bodies(replies_section(page)) == ["This post is not available.", "leaf"]
    assert "middle" not in page
    # Deleted, with its author's account: in place as deleted; the reply is still there.
    db.session.delete(carol)
    db.session.commit()
    page = alice_client.get(f"/post/{leaf.id}").get_data(as_text=True)
    assert bodies(context_section(page)) == ["root", "This post was deleted."]
    assert "Replying to a deleted post" in page
    page = alice_client.get(f"/post/{root.id}").get_data(as_text=True)
    assert bodies(replies_section(page)) == ["leaf"]
    # The root deleted by its author: the replies stay reachable.
    bob_root = root.id
    db.session.execute(sa.delete(Post).where(Post.id == bob_root))
    db.session.commit()
    assert alice_client.get(f"/post/{bob_root}").status_code == 404
    page = alice_client.get(f"/post/{leaf.id}").get_data(as_text=True)
    assert bodies(context_section(page)) == ["This post was deleted.", "This post was deleted."]
    assert "leaf" in page


def test_a_conversation_too_deep_refuses_more_replies(
    monkeypatch, alice_client, alice, bob, make_post, make_reply, db
):
    monkeypatch.setattr("app.models.post.MAX_THREAD_DEPTH", 3)
    root = make_post(bob, "root")
    deepest = make_reply(make_reply(root, alice, "one"), bob, "two")
    response = alice_client.submit(
        f"/post/{deepest.id}/reply", {"post": "three"}, page=f"/post/{deepest.id}"
    )
    assert response.status_code == 200
    assert "This conversation is too long to answer here." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.body == "three")) == 0


def test_the_page_reads_its_post_as_the_orm_post_and_its_card_give_it(
    app, db, alice, bob, make_user, make_staff, make_post, make_reply
):
    # The thread page's post is one frozen statement (thread_post), no ORM object: the
    # oracle is the ORM post (who may see it, its place in the thread) and its card, for
    # every kind of reader and post.
    from app.listings.frozen import FROZEN
    from app.listings.posts import PostCard
    from app.listings.threads import _one_item, thread_post

    carol, moderator = make_user("carol"), make_staff("mod", "moderator")
    root = make_post(bob, "root", EARLY)
    answer = make_reply(root, alice, "@bob answer", EARLY + timedelta(minutes=1))
    deeper = make_reply(answer, carol, "@alice deeper", EARLY + timedelta(minutes=2))
    hidden = make_post(alice, "hidden", EARLY + timedelta(minutes=3))
    hidden.hide(moderator)
    suspended = make_post(carol, "by a suspended account", EARLY + timedelta(minutes=4))
    db.session.commit()
    carol.suspended_at = utcnow()
    db.session.commit()
    # (carol reads nothing: a suspended account is logged out.)
    readers = (alice, bob, moderator)
    for post in (root, answer, deeper, hidden, suspended):
        for reader in readers:
            with app.test_request_context():
                item = thread_post(post.id, reader)
                assert item.card == PostCard.of(post, reader)
                assert item.full_path == post.full_path
                visible = item.visible or reader.has_role("moderator")
                assert visible == post.is_visible_to(reader), (post.body, reader.username)
    with app.test_request_context():
        assert thread_post(deeper.id + 100, alice) is None
        values = {"post_id": root.id, "viewer_id": alice.id}
        assert FROZEN.get(_one_item(), values, (), db.session.connection().dialect) is not None


def test_a_moderator_sees_who_hid_the_post_and_its_reports(
    app, client, db, alice, bob, make_staff, make_post, login
):
    post = make_post(alice, "hidden one", EARLY)
    moderator = make_staff("mod", "moderator")
    post.hide(moderator)
    db.session.commit()
    login("mod")
    page = client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "Open reports" in page
    assert "by mod." in page
    assert 'action="/post/' not in page  # a hidden post cannot be answered
