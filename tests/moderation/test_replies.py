"""Moderating replies: they are posts, hidden and reported like any other."""

import re

import sqlalchemy as sa

from app.models import Report


def test_moderator_hides_a_reply_from_its_thread(
    db, client, login, alice, bob, make_staff, make_post, make_reply
):
    make_staff("mod", "moderator")
    root = make_post(alice, "root")
    reply = make_reply(root, bob, "rude reply")
    login("mod")
    thread = client.get(f"/post/{root.id}").get_data(as_text=True)
    hide = re.search(rf'href="(/moderation/post/{reply.id}/hide[^"]*)"', thread)
    assert hide is not None
    response = client.submit(
        hide.group(1).replace("&amp;", "&"), {"reason": "rude"}, page=hide.group(1)
    )
    assert response.status_code == 302
    db.session.refresh(reply)
    assert reply.is_hidden


def test_a_reply_can_be_reported_and_reaches_the_queue(
    db, client, login, alice, bob, make_staff, make_post, make_reply
):
    root = make_post(alice, "root")
    reply = make_reply(root, bob, "spam reply")
    login("alice")
    thread = client.get(f"/post/{root.id}").get_data(as_text=True)
    assert f'href="/post/{reply.id}/report"' in thread
    response = client.submit(f"/post/{reply.id}/report", {"reason": "spam"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Report.post_id)) == reply.id
    make_staff("mod", "moderator")
    client.submit("/auth/logout", page="/")
    login("mod")
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "spam reply" in queue
    assert f'Replying to <a href="/post/{root.id}">@alice' in queue
