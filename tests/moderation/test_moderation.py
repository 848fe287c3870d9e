"""Hiding posts, suspending accounts and the report queue, as moderators and others see them."""

import pytest
import sqlalchemy as sa

from app.models import AuditLog, Report
from app.models.types import utcnow


@pytest.fixture
def moderator(make_staff):
    """A user holding the moderator role."""
    return make_staff("mod", "moderator")


@pytest.fixture
def mod_client(moderator, client_for):
    """A browser logged in as the moderator."""
    return client_for("mod")


def audit_actions(db) -> list[tuple]:
    entries = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))
    return [(e.actor_label, e.action, e.target_type, e.target_id, e.reason) for e in entries]


def test_hidden_post_only_its_author_and_moderators_see(
    db, alice, bob, make_post, mod_client, client_for
):
    bob.follow(alice)
    db.session.commit()
    post = make_post(alice, "borderline remark")
    make_post(alice, "harmless remark")
    db.session.add(Report(post=post, reporter=bob, reason="offensive"))
    db.session.commit()

    response = mod_client.submit(f"/moderation/post/{post.id}/hide", {"reason": "insults"})
    assert response.headers["Location"] == f"/post/{post.id}"
    db.session.refresh(post)
    assert post.is_hidden
    assert post.hidden_by.username == "mod"
    assert not db.session.scalar(sa.select(Report)).is_open
    assert audit_actions(db) == [("mod", "post.hide", "post", post.id, "insults")]

    bob_client = client_for("bob")
    for url in ("/", "/explore", "/user/alice"):
        page = bob_client.get(url).get_data(as_text=True)
        assert "borderline remark" not in page, url
        assert "harmless remark" in page, url
    assert "<strong>1</strong> post</li>" in bob_client.get("/user/alice").get_data(as_text=True)
    assert bob_client.get(f"/post/{post.id}").status_code == 404

    alice_client = client_for("alice")
    for url in ("/", "/explore", "/user/alice", f"/post/{post.id}"):
        page = alice_client.get(url).get_data(as_text=True)
        assert "borderline remark" in page, url
        assert "Hidden by a moderator" in page, url
    assert "only you can see it" in alice_client.get(f"/post/{post.id}").get_data(as_text=True)

    permalink = mod_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "Hidden by a moderator" in permalink
    assert f"/moderation/post/{post.id}/unhide" in permalink


def test_unhide_shows_the_post_again(db, alice, bob, make_post, mod_client, client_for):
    post = make_post(alice, "second chance")
    post.hidden_at = utcnow()
    db.session.commit()
    mod_client.submit(f"/moderation/post/{post.id}/unhide", {"reason": "on appeal"})
    db.session.refresh(post)
    assert not post.is_hidden
    assert "second chance" in client_for("bob").get("/explore").get_data(as_text=True)
    assert audit_actions(db) == [("mod", "post.unhide", "post", post.id, "on appeal")]


@pytest.mark.parametrize(
    ("reason", "message"), [("", "Please give a reason."), ("z" * 501, "At most 500 characters.")]
)
def test_moderation_needs_a_reason(db, alice, make_post, mod_client, reason, message):
    post = make_post(alice, "text")
    response = mod_client.submit(f"/moderation/post/{post.id}/hide", {"reason": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert reason in page
    db.session.refresh(post)
    assert not post.is_hidden
    assert audit_actions(db) == []


def test_hiding_a_hidden_post_again_changes_nothing(db, alice, make_post, mod_client):
    post = make_post(alice, "text")
    post.hidden_at = utcnow()
    db.session.commit()
    response = mod_client.get(f"/moderation/post/{post.id}/hide", follow_redirects=True)
    assert "already hidden" in response.get_data(as_text=True)
    response = mod_client.get(f"/moderation/post/{post.id}/unhide")
    assert "Unhide this post" in response.get_data(as_text=True)


def test_suspension_ends_sessions_blocks_login_and_hides_posts(
    db, alice, bob, make_post, mod_client, client_for, client
):
    alice.follow(bob)
    db.session.commit()
    make_post(bob, "musings of bob")
    bob_client = client_for("bob")
    alice_client = client_for("alice")
    assert "musings of bob" in alice_client.get("/").get_data(as_text=True)

    profile = mod_client.get("/user/bob").get_data(as_text=True)
    assert "/moderation/user/bob/suspend" in profile
    response = mod_client.submit("/moderation/user/bob/suspend", {"reason": "spamming"})
    assert response.headers["Location"] == "/user/bob"
    assert bob.is_suspended

    # bob's open session ends at once, and he cannot log in again.
    assert bob_client.get("/").headers["Location"].startswith("/auth/login")
    login = client.submit("/auth/login", {"username": "bob", "password": "correct horse battery"})
    assert login.status_code == 200
    assert "suspended" in login.get_data(as_text=True)

    for url in ("/", "/explore", "/user/bob"):
        assert "musings of bob" not in alice_client.get(url).get_data(as_text=True), url
    profile = alice_client.get("/user/bob").get_data(as_text=True)
    assert "This account is suspended." in profile
    assert "<strong>0</strong> posts" in profile

    mod_client.submit("/moderation/user/bob/unsuspend", {"reason": "served his time"})
    db.session.refresh(bob)  # the test's own session read bob before the request changed him
    assert not bob.is_suspended
    assert "musings of bob" in alice_client.get("/").get_data(as_text=True)
    assert client_for("bob").get("/").status_code == 200
    assert [a[1:] for a in audit_actions(db)] == [
        ("user.suspend", "user", bob.id, "spamming"),
        ("user.unsuspend", "user", bob.id, "served his time"),
    ]


@pytest.mark.parametrize("target", ["mod", "boss", "other_mod"])
def test_moderators_cannot_suspend_staff_or_themselves(db, make_user, mod_client, target):
    if target != "mod":
        user = make_user(target)
        user.grant_role("admin" if target == "boss" else "moderator")
        db.session.commit()
    response = mod_client.get(f"/moderation/user/{target}/suspend")
    assert response.status_code == 403
    response = mod_client.submit(f"/moderation/user/{target}/suspend", {"reason": "x"}, page="/")
    assert response.status_code == 403
    assert audit_actions(db) == []


def test_suspend_is_offered_only_where_it_is_allowed(
    db, alice, bob, moderator, make_staff, make_post, mod_client, client_for
):
    """A moderator is not shown a Suspend that would end on a 403 page: not for staff (on their
    profile or their reported post in the queue), nor for themselves; an admin is."""
    other_mod = make_staff("other_mod", "moderator")
    for author in (alice, other_mod):
        db.session.add(Report(post=make_post(author, "reported"), reporter=bob, reason="rude"))
    db.session.commit()
    assert "/moderation/user/alice/suspend" in mod_client.get("/user/alice").get_data(as_text=True)
    for username in ("other_mod", "mod"):
        page = mod_client.get(f"/user/{username}").get_data(as_text=True)
        assert f"/moderation/user/{username}/suspend" not in page
    queue = mod_client.get("/moderation/").get_data(as_text=True)
    assert "Suspend alice</a>" in queue
    assert "Suspend other_mod</a>" not in queue
    make_staff("boss", "admin")
    boss = client_for("boss")
    assert "Suspend other_mod</a>" in boss.get("/moderation/").get_data(as_text=True)
    page = boss.get("/user/other_mod").get_data(as_text=True)
    assert "/moderation/user/other_mod/suspend" in page


def test_admin_can_suspend_a_moderator(db, moderator, make_user, client_for):
    boss = make_user("boss")
    boss.grant_role("admin")
    db.session.commit()
    client_for("boss").submit("/moderation/user/mod/suspend", {"reason": "abused powers"})
    assert moderator.is_suspended


def test_suspending_unknown_user_is_404(mod_client):
    assert mod_client.get("/moderation/user/ghost/suspend").status_code == 404


def test_queue_lists_open_reports_and_dismiss_resolves(db, alice, bob, make_post, mod_client):
    post = make_post(alice, "questionable")
    report = Report(post=post, reporter=bob, reason="I <b>dislike</b> it")
    db.session.add(report)
    db.session.commit()
    queue = mod_client.get("/moderation/").get_data(as_text=True)
    assert "questionable" in queue
    assert "I &lt;b&gt;dislike&lt;/b&gt; it" in queue
    assert f"/moderation/report/{report.id}/dismiss" in queue
    assert f"/moderation/post/{post.id}/hide" in queue
    assert f"/post/{post.id}/report" not in queue  # reporting again from the queue means nothing
    assert f"/post/{post.id}/report" in mod_client.get(f"/post/{post.id}").get_data(as_text=True)

    response = mod_client.submit(f"/moderation/report/{report.id}/dismiss", {"reason": "fine"})
    assert response.headers["Location"] == "/moderation/"
    db.session.refresh(report)
    assert not report.is_open
    assert "No open reports" in mod_client.get("/moderation/").get_data(as_text=True)
    assert audit_actions(db) == [("mod", "report.dismiss", "report", report.id, "fine")]
    again = mod_client.get(f"/moderation/report/{report.id}/dismiss", follow_redirects=True)
    assert "already resolved" in again.get_data(as_text=True)


def test_queue_pages_oldest_first(db, alice, make_user, make_post, mod_client):
    post = make_post(alice, "popular target")
    for n in range(4):
        reporter = make_user(f"reporter{n}")
        db.session.add(Report(post=post, reporter=reporter, reason=f"reason number {n}"))
        db.session.commit()
    first = mod_client.get("/moderation/").get_data(as_text=True)
    assert "reason number 0" in first
    assert "reason number 3" not in first
    assert 'rel="next"' in first


def test_moderators_get_the_nav_link_and_controls(db, alice, make_post, mod_client, client_for):
    post = make_post(alice, "x")
    page = mod_client.get("/explore").get_data(as_text=True)
    assert 'href="/moderation/"' in page
    assert f"/moderation/post/{post.id}/hide" in page
    assert 'href="/admin/"' not in page
    plain = client_for("alice").get("/explore").get_data(as_text=True)
    assert 'href="/moderation/"' not in plain


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [("/moderation/", "/moderation/"), ("https://evil.example/", None), ("//evil.example", None)],
)
def test_moderators_return_where_they_came_from(
    db, alice, make_post, mod_client, next_url, landing
):
    post = make_post(alice, "x")
    url = f"/moderation/post/{post.id}/hide?next={next_url}"
    page = mod_client.get(url).get_data(as_text=True)
    assert f'href="{landing or "/moderation/"}">Cancel' in page
    response = mod_client.submit(url, {"reason": "r"})
    assert response.headers["Location"] == (landing or f"/post/{post.id}")


def test_hide_link_on_a_timeline_comes_back_to_it(db, alice, make_post, mod_client):
    post = make_post(alice, "x")
    page = mod_client.get("/explore").get_data(as_text=True)
    assert f"/moderation/post/{post.id}/hide?next=/explore" in page


def test_suspension_also_ends_remember_me_logins(db, bob, client):
    client.submit(
        "/auth/login", {"username": "bob", "password": "correct horse battery", "remember_me": "y"}
    )
    client.delete_cookie("session")
    assert client.get("/").status_code == 200  # the remember-me cookie logs bob back in
    client.delete_cookie("session")
    bob.suspended_at = utcnow()
    db.session.commit()
    assert client.get("/").status_code == 302


def test_moderators_see_and_dismiss_reports_on_the_post_page(db, alice, bob, make_post, mod_client):
    post = make_post(alice, "debatable")
    report = Report(post=post, reporter=bob, reason="I disagree")
    db.session.add(report)
    db.session.commit()
    page = mod_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "Open reports" in page
    assert "I disagree" in page
    dismiss = f"/moderation/report/{report.id}/dismiss?next=/post/{post.id}"
    assert dismiss in page
    response = mod_client.submit(dismiss, {"reason": "opinion, not abuse"})
    assert response.headers["Location"] == f"/post/{post.id}"
    assert "No open reports on this post." in mod_client.get(f"/post/{post.id}").get_data(
        as_text=True
    )


def test_suspended_accounts_are_listed_and_can_be_unsuspended_from_there(
    db, alice, make_user, mod_client
):
    assert "No account is suspended." in mod_client.get("/moderation/suspended").get_data(
        as_text=True
    )
    for name in ("zed", "Bea", "amy", "cy"):
        make_user(name).suspended_at = utcnow()
    db.session.commit()
    queue = mod_client.get("/moderation/").get_data(as_text=True)
    assert 'href="/moderation/suspended"' in queue

    first = mod_client.get("/moderation/suspended").get_data(as_text=True)
    names = ["amy", "Bea", "cy", "zed"]
    per_page = mod_client.application.config["POSTS_PER_PAGE"]
    shown = [name for name in names if f'href="/user/{name}"' in first]
    assert shown == names[:per_page]
    assert 'href="/user/alice"' not in first  # not suspended

    unsuspend = "/moderation/user/amy/unsuspend?next=/moderation/suspended"
    assert unsuspend in first
    response = mod_client.submit(unsuspend, {"reason": "appeal granted"})
    assert response.headers["Location"] == "/moderation/suspended"
    after = mod_client.get("/moderation/suspended").get_data(as_text=True)
    assert 'href="/user/amy"' not in after
    assert 'href="/user/Bea"' in after


def test_suspended_list_offers_unsuspend_only_where_it_is_allowed(
    db, make_user, make_staff, mod_client, client_for
):
    """A suspended moderator is listed, but only an admin is offered to lift it (a moderator
    would get a 403 page), as on profiles and in the queue."""
    make_user("amy").suspended_at = utcnow()
    make_staff("other_mod", "moderator").suspended_at = utcnow()
    db.session.commit()
    page = mod_client.get("/moderation/suspended").get_data(as_text=True)
    assert 'href="/user/other_mod"' in page
    assert "/moderation/user/amy/unsuspend" in page
    assert "/moderation/user/other_mod/unsuspend" not in page
    make_staff("boss", "admin")
    page = client_for("boss").get("/moderation/suspended").get_data(as_text=True)
    assert "/moderation/user/other_mod/unsuspend" in page


def test_post_page_keeps_the_reporters_line_breaks(db, alice, bob, make_post, mod_client):
    """As the queue does: the reason sits in an element whose white space is kept (CSS)."""
    post = make_post(alice, "debatable")
    db.session.add(Report(post=post, reporter=bob, reason="Spam.\nThe same advert, twice."))
    db.session.commit()
    page = mod_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert '<span class="report-text">Spam.\nThe same advert, twice.</span>' in page


@pytest.mark.parametrize(
    ("action", "button", "danger"),
    [
        ("hide", "Hide post", True),
        ("suspend", "Suspend alice", True),
        ("unhide", "Unhide post", False),
        ("unsuspend", "Unsuspend alice", False),
        ("dismiss", "Dismiss report", False),
    ],
)
def test_only_actions_that_take_something_away_have_a_red_button(
    db, alice, bob, make_post, mod_client, action, button, danger
):
    post = make_post(alice, "borderline remark")
    report = Report(post=post, reporter=bob, reason="rude")
    db.session.add(report)
    if action == "unhide":
        post.hide(bob)
    if action == "unsuspend":
        alice.suspended_at = utcnow()
    db.session.commit()
    url = {
        "hide": f"/moderation/post/{post.id}/hide",
        "unhide": f"/moderation/post/{post.id}/unhide",
        "suspend": "/moderation/user/alice/suspend",
        "unsuspend": "/moderation/user/alice/unsuspend",
        "dismiss": f"/moderation/report/{report.id}/dismiss",
    }[action]
    page = mod_client.get(url).get_data(as_text=True)
    classes = "button button-danger" if danger else "button"
    assert f'class="{classes}" id="submit" name="submit" type="submit" value="{button}"' in page


def test_hide_suspend_and_delete_links_look_dangerous(
    db, alice, bob, make_post, mod_client, moderator
):
    theirs = make_post(alice, "reported remark")
    mine = make_post(moderator, "my own remark")
    db.session.add(Report(post=theirs, reporter=bob, reason="rude"))
    db.session.commit()
    queue = mod_client.get("/moderation/").get_data(as_text=True)
    assert f'/moderation/post/{theirs.id}/hide?next=/moderation/" class="action-danger">' in queue
    assert 'class="action-danger">Suspend alice</a>' in queue
    explore = mod_client.get("/explore").get_data(as_text=True)
    assert f'href="/post/{mine.id}/delete" class="action-danger">Delete' in explore
    profile = mod_client.get("/user/alice").get_data(as_text=True)
    assert 'class="button button-secondary button-secondary-danger"' in profile
    settings = mod_client.get("/account/").get_data(as_text=True)
    assert 'class="action-danger">Delete your account' in settings


@pytest.mark.parametrize("why", ["hidden", "author suspended"])
def test_a_post_nobody_else_sees_is_not_offered_for_reporting(
    db, alice, moderator, make_post, mod_client, why
):
    post = make_post(alice, "already dealt with")
    if why == "hidden":
        post.hide(moderator)
    else:
        alice.suspended_at = utcnow()
    db.session.commit()

    page = mod_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "already dealt with" in page
    assert f"/post/{post.id}/report" not in page
    response = mod_client.get(f"/post/{post.id}/report")
    assert response.headers["Location"] == f"/post/{post.id}"
    assert "there is nothing to report" in mod_client.get(f"/post/{post.id}").get_data(as_text=True)
    response = mod_client.submit(f"/post/{post.id}/report", {"reason": "spam"}, page="/")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
