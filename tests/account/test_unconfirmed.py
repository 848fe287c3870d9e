"""What an account without a confirmed email address may do: read and unfollow, but not post,
follow or report; every refused button says why and offers the confirmation link again."""

import pytest
import sqlalchemy as sa

from app.models import AuditLog, Report, followers, user_by_username
from app.models.types import utcnow

RESEND = 'action="/account/resend-confirmation"'


@pytest.fixture
def dave_client(client, make_user, login):
    """A client logged in as dave, who has not confirmed his address."""
    make_user("dave", confirmed=False)
    login("dave")
    return client


def follows(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(followers))


def reports(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


def test_a_profile_offers_the_link_instead_of_follow(dave_client, bob):
    page = dave_client.get("/user/bob").get_data(as_text=True)
    assert 'action="/follow/bob"' not in page
    assert "Confirm your email address to follow people" in page
    assert "dave@example.com" in page
    assert RESEND in page


def test_follow_is_refused_with_the_reason_and_the_link(dave_client, db, bob):
    # A page opened before this change still has the button: the answer explains, never a 500.
    response = dave_client.submit("/follow/bob", page="/user/bob")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Confirm your email address before following people" in page
    assert RESEND in page
    assert follows(db) == 0


def test_unfollow_stays_allowed(dave_client, db, bob):
    dave = user_by_username("dave")
    dave.follow(bob)
    db.session.commit()
    page = dave_client.get("/user/bob").get_data(as_text=True)
    assert 'action="/unfollow/bob"' in page

    response = dave_client.submit("/unfollow/bob", page="/user/bob", follow_redirects=True)

    assert response.status_code == 200
    assert "You are not following bob." in response.get_data(as_text=True)
    assert follows(db) == 0


def test_the_report_page_offers_the_link_instead_of_the_form(dave_client, bob, make_post):
    post = make_post(bob, "something rude")
    response = dave_client.get(f"/post/{post.id}/report")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "something rude" in page
    assert "Confirm your email address to report posts" in page
    assert RESEND in page
    assert "<textarea" not in page


def test_report_is_refused_with_the_reason_and_the_link(dave_client, db, bob, make_post):
    post = make_post(bob, "something rude")
    response = dave_client.submit(
        f"/post/{post.id}/report", {"reason": "rude"}, page=f"/user/{bob.username}"
    )
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Confirm your email address before reporting posts" in page
    assert RESEND in page
    assert reports(db) == 0


def test_the_refusal_page_button_sends_the_link(dave_client, bob, mailbox):
    page = dave_client.submit("/follow/bob", page="/user/bob").get_data(as_text=True)
    assert RESEND in page
    response = dave_client.submit("/account/resend-confirmation", {}, follow_redirects=True)
    assert "We sent a new confirmation link to dave@example.com." in response.get_data(as_text=True)
    assert [message["To"] for message in mailbox.messages] == ["dave@example.com"]


def test_once_confirmed_follow_and_report_work(dave_client, db, bob, make_post):
    post = make_post(bob)
    user_by_username("dave").email_confirmed_at = utcnow()
    db.session.commit()
    assert 'action="/follow/bob"' in dave_client.get("/user/bob").get_data(as_text=True)
    assert dave_client.submit("/follow/bob", page="/user/bob").status_code == 302
    response = dave_client.submit(f"/post/{post.id}/report", {"reason": "rude"})
    assert response.status_code == 302
    assert (follows(db), reports(db)) == (1, 1)


def test_unconfirmed_staff_still_moderate_and_administer(
    client, db, make_user, make_staff, login, alice, make_post
):
    # Staff accounts made before confirmation existed may lack it: their tools keep working.
    boss = make_staff("boss", "admin")
    boss.email_confirmed_at = None
    db.session.commit()
    login("boss")
    post = make_post(alice)
    db.session.add(Report(post=post, reporter=alice, reason="spam"))
    db.session.commit()

    assert client.submit(f"/moderation/post/{post.id}/hide", {"reason": "spam"}).status_code == 302
    assert client.submit("/moderation/user/alice/suspend", {"reason": "spam"}).status_code == 302
    response = client.submit("/admin/", {"username": "alice", "role": "moderator", "reason": "x"})
    assert response.status_code == 302
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["post.hide", "user.suspend", "role.grant"]
