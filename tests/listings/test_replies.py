"""Where replies are listed: home (Mastodon's rule), explore (never), profiles (one tab), and
the reply counts on cards."""

import re

import pytest
import sqlalchemy as sa

from app.listings.keyset import keyset_page
from app.listings.posts import explore_cards, profile_cards
from app.listings.timeline import home_timeline
from app.models import Post
from app.models.types import utcnow


def bodies(page: str) -> list[str]:
    return re.findall(r'<p class="post-body"[^>]*>([^<]*)</p>', page)


@pytest.fixture
def cast(make_user):
    """alice reads; she follows bob and carol, not dave."""
    alice, bob, carol, dave = (make_user(name) for name in ("alice", "bob", "carol", "dave"))
    alice.follow(bob)
    alice.follow(carol)
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


def test_home_shows_replies_the_reader_can_follow(db, cast, make_post, make_reply):
    alice, bob, carol, dave = cast.values()
    by_bob, by_carol, by_dave, by_alice = (
        make_post(who, f"post by {who.username}") for who in (bob, carol, dave, alice)
    )
    shown = {
        make_reply(by_carol, bob, "bob to carol (both followed)").id,
        make_reply(by_alice, bob, "bob to alice").id,
        make_reply(by_bob, bob, "bob to himself").id,
        make_reply(by_dave, alice, "alice to dave (her own)").id,
    }
    hidden = {
        make_reply(by_dave, bob, "bob to dave (not followed)").id,
        make_reply(by_bob, dave, "dave to bob (dave not followed)").id,
    }
    db.session.commit()
    timeline = {card.id for card in keyset_page(home_timeline(alice), 50).items}
    plain = set(db.session.scalars(alice.following_posts().with_only_columns(Post.id)))
    assert timeline == plain
    assert shown <= timeline
    assert not hidden & timeline
    assert {by_bob.id, by_carol.id, by_alice.id} <= timeline


def test_explore_shows_only_posts_that_answer_nothing(cast, make_post, make_reply):
    root = make_post(cast["bob"], "root")
    reply = make_reply(root, cast["carol"], "reply")
    ids = {card.id for card in keyset_page(explore_cards(cast["alice"]), 50).items}
    assert root.id in ids
    assert reply.id not in ids


def test_profile_tabs(client, login, cast, make_post, make_reply):
    root = make_post(cast["dave"], "dave post")
    own = make_post(cast["bob"], "bob post")
    reply = make_reply(root, cast["bob"], "bob answers dave")
    posts_tab = [card.id for card in keyset_page(profile_cards(cast["bob"]), 50).items]
    both = [card.id for card in keyset_page(profile_cards(cast["bob"], None, True), 50).items]
    assert posts_tab == [own.id]
    assert both == [reply.id, own.id]
    login("alice")
    page = client.get("/user/bob").get_data(as_text=True)
    assert bodies(page) == ["bob post"]
    assert '<a href="/user/bob" aria-current="page">Posts</a>' in page
    page = client.get("/user/bob/with_replies").get_data(as_text=True)
    assert bodies(page) == ["bob answers dave", "bob post"]
    assert 'aria-current="page">Posts and replies</a>' in page
    assert client.get("/user/BOB/with_replies").headers["Location"] == "/user/bob/with_replies"


def reply_count(client, post: Post) -> str | None:
    page = client.get(f"/post/{post.id}").get_data(as_text=True)
    focus = page.split('class="thread-focus"', 1)[1].split("</article>", 1)[0]
    found = re.search(r'<ul class="post-counts">\s*<li><strong>(\d+)</strong> repl', focus)
    return int(found.group(1)) if found else 0


def test_reply_counts_stay_right(
    db, client, login, cast, make_user, make_staff, make_post, make_reply
):
    alice, bob, carol, dave = cast.values()
    login("alice")
    root = make_post(bob, "root")
    assert reply_count(client, root) == 0
    replies = [make_reply(root, who, f"by {who.username}") for who in (alice, carol, dave)]
    make_reply(replies[0], bob, "a reply to a reply: not a direct one")
    assert reply_count(client, root) == 3
    # Shown the same on every listing: the count is in each page's statement.
    explore = client.get("/explore").get_data(as_text=True)
    assert "Reply to bob, 3 replies</span>" in explore
    # Deleted.
    db.session.execute(sa.delete(Post).where(Post.id == replies[2].id))
    db.session.commit()
    assert reply_count(client, root) == 2
    # Hidden by a moderator, then shown again.
    replies[1].hide(make_staff("mod", "moderator"))
    db.session.commit()
    assert reply_count(client, root) == 1
    replies[1].unhide()
    db.session.commit()
    assert reply_count(client, root) == 2
    # The author suspended.
    carol.suspended_at = utcnow()
    db.session.commit()
    assert reply_count(client, root) == 1
    # The author's account deleted.
    eve = make_user("eve")
    make_reply(root, eve, "by eve")
    assert reply_count(client, root) == 2
    db.session.delete(eve)
    db.session.commit()
    assert reply_count(client, root) == 1


def test_deleting_an_account_keeps_others_replies_to_it(
    db, client, login, cast, make_post, make_reply
):
    root = make_post(cast["dave"], "dave post")
    reply = make_reply(root, cast["bob"], "bob answers dave")
    db.session.delete(cast["dave"])
    db.session.commit()
    assert db.session.get(Post, reply.id) is not None
    login("alice")
    page = client.get(f"/post/{reply.id}").get_data(as_text=True)
    assert "bob answers dave" in page
    assert "This post was deleted." in page
    assert "Replying to a deleted post" in page
