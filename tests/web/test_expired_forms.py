"""A form sent from a page whose session has ended comes back as sent, not as a dead end.

A stale CSRF token is what a person sees after their browser restarts and a remember-me cookie
logs them back in: the page they had open was made for the old session.
"""

import pytest
import sqlalchemy as sa

from app.models import Post, Report
from app.web.form_pages import EXPIRED_MESSAGE
from tests.helpers import csrf_token_from

STALE = {"csrf_token": "made-for-a-session-that-has-ended"}
FROM_HERE = {"Origin": "http://localhost"}  # what browsers send with a POST from this site


def test_a_post_sent_from_an_expired_page_keeps_its_text(alice_client, db):
    response = alice_client.post(
        "/", data={**STALE, "post": "written before the restart"}, headers=FROM_HERE
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED_MESSAGE in page
    assert "written before the restart</textarea>" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0

    # The page comes with a token that works: sending it again posts.
    token = csrf_token_from(page)
    response = alice_client.post(
        "/", data={"csrf_token": token, "post": "written before the restart"}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Post.body)) == "written before the restart"


def test_an_edit_sent_from_an_expired_page_keeps_its_text(alice_client, alice, make_post):
    post = make_post(alice, "first version")
    response = alice_client.post(
        f"/post/{post.id}/edit",
        data={**STALE, "post": "second version, carefully"},
        headers=FROM_HERE,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED_MESSAGE in page
    assert "second version, carefully</textarea>" in page
    assert post.body == "first version"


def test_a_report_sent_from_an_expired_page_keeps_its_reason(alice_client, bob, make_post, db):
    post = make_post(bob, "questionable")
    response = alice_client.post(
        f"/post/{post.id}/report", data={**STALE, "reason": "it is spam"}, headers=FROM_HERE
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED_MESSAGE in page
    assert "it is spam</textarea>" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_a_profile_sent_from_an_expired_page_keeps_its_text(alice_client, alice):
    data = {**STALE, "username": "alice_b", "about_me": "I like long walks"}
    response = alice_client.post("/edit_profile", data=data, headers=FROM_HERE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED_MESSAGE in page
    assert 'value="alice_b"' in page
    assert "I like long walks</textarea>" in page
    assert alice.username == "alice"


def test_an_edit_of_a_post_deleted_meanwhile_gets_the_plain_page(
    alice_client, alice, make_post, db
):
    post = make_post(alice, "soon gone")
    post_id = post.id
    db.session.delete(post)
    db.session.commit()
    response = alice_client.post(
        f"/post/{post_id}/edit", data={**STALE, "post": "too late"}, headers=FROM_HERE
    )
    assert response.status_code == 400
    assert "The form expired or did not come from this site" in response.get_data(as_text=True)


def test_logged_out_visitors_get_the_plain_page(client):
    response = client.post("/", data={**STALE, "post": "who am I"}, headers=FROM_HERE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form expired or did not come from this site" in page
    assert EXPIRED_MESSAGE not in page


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "https://elsewhere.example"}, {"Referer": "https://elsewhere.example/x"}],
)
def test_another_site_cannot_fill_the_post_box(alice_client, headers):
    """Nobody may put words in someone's post box with a working token to send them."""
    data = {**STALE, "post": "Words put in your mouth."}
    response = alice_client.post("/", data=data, headers=headers)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form expired or did not come from this site." in page
    assert "Words put in your mouth." not in page


def test_a_referer_from_this_site_is_enough(alice_client):
    """Some browsers leave Origin out; the Referer then says where the form was."""
    data = {**STALE, "post": "sent by an older browser"}
    response = alice_client.post("/", data=data, headers={"Referer": "http://localhost/"})
    assert "sent by an older browser</textarea>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "changed"),
    [
        ("/moderation/post/{post}/hide", lambda post, bob: post.is_hidden),
        ("/moderation/user/bob/suspend", lambda post, bob: bob.is_suspended),
        ("/moderation/report/{report}/dismiss", lambda post, bob: False),
    ],
)
def test_a_moderators_reason_sent_from_an_expired_page_is_kept(
    make_staff, client_for, alice, bob, make_post, db, url, changed
):
    post = make_post(bob, "questionable")
    report = Report(post=post, reporter=alice, reason="rude")
    db.session.add(report)
    db.session.commit()
    make_staff("mod", "moderator")
    url = url.format(post=post.id, report=report.id)
    data = {**STALE, "reason": "spam, three reports this week"}
    response = client_for("mod").post(url, data=data, headers=FROM_HERE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED_MESSAGE in page
    assert "spam, three reports this week</textarea>" in page
    db.session.expire_all()
    assert not changed(post, bob)
    assert report.is_open


def test_an_admins_reason_sent_from_an_expired_page_is_kept(make_staff, client_for, bob):
    make_staff("boss", "admin")
    data = {**STALE, "username": "bob", "role": "moderator", "reason": "helps out a lot"}
    response = client_for("boss").post("/admin/", data=data, headers=FROM_HERE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert EXPIRED_MESSAGE in page
    assert 'value="bob"' in page
    assert "helps out a lot</textarea>" in page
    assert bob.role_names() == []


@pytest.mark.parametrize("url", ["/admin/", "/moderation/user/bob/suspend"])
def test_staff_pages_are_not_refilled_for_people_without_the_role(alice_client, bob, url):
    data = {**STALE, "username": "bob", "reason": "let me in"}
    response = alice_client.post(url, data=data, headers=FROM_HERE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form expired or did not come from this site" in page
    assert "let me in" not in page
