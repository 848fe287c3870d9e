"""Likes: the button on every card (a plain form, or in place with JavaScript's JSON), the
counts on cards, who liked a post, one's own liked posts, and the rules: one like per person and
post, none of a post its reader may not see, none counted from a suspended account."""

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import Like, Post, User, like, like_count, unlike
from app.models.types import utcnow
from tests.helpers import link

JSON = {"Accept": "application/json"}


def like_button(page: str, post_id: int) -> str:
    """The Like form of the card of ``post_id`` on ``page``."""
    card = page[page.index(f'id="post-{post_id}"') :]
    card = card[: card.index("</article>")]
    match = re.search(r'<form action="[^"]*/(un)?like"[^>]*data-like>.*?</form>', card, re.S)
    assert match, "the card has no Like button"
    return match.group(0)


def shown_count(page: str, post_id: int) -> int:
    """The like count the card of ``post_id`` shows (0 when its count is hidden)."""
    card = page[page.index(f'id="post-{post_id}"') :]
    card = card[: card.index("</article>")]
    match = re.search(r'aria-hidden="true" data-like-count( hidden)?>(\d+)<', card)
    if match is None or match.group(1):
        return 0
    return int(match.group(2))


def pressed(page: str, post_id: int) -> bool:
    return 'aria-pressed="true"' in like_button(page, post_id)


def rows(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Like))


@pytest.fixture
def bobs_post(db, alice, bob, make_post):
    """alice follows bob, who wrote a post: it is on alice's home timeline."""
    alice.follow(bob)
    db.session.commit()
    return make_post(bob, "like me")


def test_liking_without_javascript_comes_back_to_the_same_card(db, alice_client, bobs_post):
    home = alice_client.get("/").get_data(as_text=True)
    assert not pressed(home, bobs_post.id)
    assert shown_count(home, bobs_post.id) == 0
    # The heart, named in words; at no likes, the name says no number.
    button = like_button(home, bobs_post.id)
    assert '#heart"/></svg><span class="visually-hidden">Like this post by bob<span' in button
    assert "<span data-like-words></span>" in button

    response = alice_client.submit(
        f"/post/{bobs_post.id}/like", headers={"Referer": "http://localhost/explore"}, page="/"
    )

    assert response.status_code == 302
    assert response.location == f"/explore#post-{bobs_post.id}"
    page = alice_client.get("/").get_data(as_text=True)
    assert pressed(page, bobs_post.id)
    assert shown_count(page, bobs_post.id) == 1
    assert f'action="/post/{bobs_post.id}/unlike"' in like_button(page, bobs_post.id)
    assert "Like this post by bob<span data-like-words>, 1 like</span>" in page

    response = alice_client.submit(
        f"/post/{bobs_post.id}/unlike", headers={"Referer": "http://localhost/"}, page="/"
    )
    assert response.location == f"/#post-{bobs_post.id}"
    page = alice_client.get("/").get_data(as_text=True)
    assert not pressed(page, bobs_post.id)
    assert shown_count(page, bobs_post.id) == 0
    assert rows(db) == 0


@pytest.mark.parametrize(
    "referer",
    [None, "https://evil.example/explore", "http://localhost//evil.example/x", "javascript:x"],
)
def test_without_a_usable_referer_the_like_goes_back_to_the_post(
    db, alice_client, bobs_post, referer
):
    headers = {"Referer": referer} if referer else {}
    response = alice_client.submit(f"/post/{bobs_post.id}/like", headers=headers, page="/")
    assert response.location == f"/post/{bobs_post.id}#post-{bobs_post.id}"
    assert rows(db) == 1


def test_liking_with_javascript_answers_what_the_card_shows_next(db, alice_client, bob, bobs_post):
    url = f"/post/{bobs_post.id}"
    response = alice_client.submit(f"{url}/like", headers=JSON, page="/")
    assert response.status_code == 200
    assert response.json == {"liked": True, "count": 1, "words": "like", "action": f"{url}/unlike"}

    # bob likes it too; then alice's second click (another tab) changes nothing.
    like(bob, bobs_post)
    db.session.commit()
    again = alice_client.submit(f"{url}/like", headers=JSON, page="/")
    assert again.json == {"liked": True, "count": 2, "words": "likes", "action": f"{url}/unlike"}
    assert rows(db) == 2

    gone = alice_client.submit(f"{url}/unlike", headers=JSON, page="/")
    assert gone.json == {"liked": False, "count": 1, "words": "like", "action": f"{url}/like"}
    twice = alice_client.submit(f"{url}/unlike", headers=JSON, page="/")
    assert twice.json["count"] == 1


def test_like_and_unlike_say_whether_anything_changed(db, alice, bob, make_post):
    """The pair every like goes through (the notifications hook on the first answer)."""
    post = make_post(bob, "once")
    assert like(alice, post) is True
    assert like(alice, post) is False
    db.session.commit()
    assert like_count(post) == 1
    assert unlike(alice, post) is True
    assert unlike(alice, post) is False
    db.session.commit()
    assert like_count(post) == 0


def test_everyone_may_like_their_own_post(db, alice_client, alice, make_post):
    post = make_post(alice, "mine")
    assert alice_client.submit(f"/post/{post.id}/like", page="/").status_code == 302
    assert like_count(post) == 1


@pytest.mark.parametrize("case", ["hidden", "suspended", "missing"])
def test_liking_a_post_one_may_not_read_is_a_404(db, alice_client, bob, bobs_post, case):
    post_id = bobs_post.id
    if case == "hidden":
        bobs_post.hidden_at = utcnow()
    elif case == "suspended":
        bob.suspended_at = utcnow()
    else:
        db.session.delete(bobs_post)
    db.session.commit()
    for action in ("like", "unlike", "likes"):
        if action == "likes":
            response = alice_client.get(f"/post/{post_id}/likes")
        else:
            response = alice_client.submit(f"/post/{post_id}/{action}", headers=JSON, page="/")
        assert response.status_code == 404, action
    assert rows(db) == 0


def test_the_author_of_a_hidden_post_cannot_like_it(db, client, login, alice, make_post):
    post = make_post(alice, "hidden from others")
    post.hidden_at = utcnow()
    db.session.commit()
    login("alice")
    response = client.submit(f"/post/{post.id}/like", page="/")
    assert response.status_code == 403
    assert "it cannot be liked" in response.get_data(as_text=True)
    page = client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "data-like" not in page  # no button where it would be refused
    assert rows(db) == 0


def test_a_card_without_the_button_shows_its_likes_as_a_link(
    db, alice_client, alice, bob, make_user, make_post
):
    post = make_post(alice, "liked, then hidden")
    like(bob, post)
    like(make_user("carol"), post)
    post.hidden_at = utcnow()
    db.session.commit()
    page = alice_client.get("/user/alice").get_data(as_text=True)  # her hidden post, to her
    card = page[page.index(f'id="post-{post.id}"') :]
    card = card[: card.index("</article>")]
    assert " data-like>" not in card  # no Like button
    assert f'<a class="action" href="/post/{post.id}/likes" title="Likes">' in card
    assert '<span class="visually-hidden">2 likes of this post by alice</span>' in card


def test_an_unconfirmed_account_may_unlike_but_not_like(db, client, login, make_user, bobs_post):
    newbie = make_user("newbie", confirmed=False)
    like(newbie, bobs_post)
    db.session.commit()
    login("newbie")
    refused = client.submit(f"/post/{bobs_post.id}/like", page="/")
    assert refused.status_code == 403
    assert "Confirm your email address before liking posts" in refused.get_data(as_text=True)
    assert client.submit(f"/post/{bobs_post.id}/unlike", page="/").status_code == 302
    assert rows(db) == 0


def test_a_like_needs_the_form_and_a_login(db, client, login, alice, bobs_post):
    url = f"/post/{bobs_post.id}/like"
    anonymous = client.submit(url, page="/auth/login")
    assert anonymous.status_code == 302
    assert anonymous.location.startswith("/auth/login?")
    login("alice")
    assert client.post(url).status_code == 400  # no CSRF token
    assert client.get(url).status_code == 405
    assert rows(db) == 0


def test_counts_stay_right_through_unlike_delete_hide_suspension_and_account_deletion(
    db, client_for, alice, bob, make_user, bobs_post, make_post
):
    carol, dave = make_user("carol"), make_user("dave")
    other = make_post(bob, "another")
    for who in (alice, carol, dave):
        like(who, bobs_post)
        like(who, other)
    db.session.commit()
    reader = client_for("bob")

    def count_on_cards() -> int:
        page = reader.get("/user/bob").get_data(as_text=True)
        return shown_count(page, bobs_post.id)

    def count_on_its_page() -> int:
        return shown_count(reader.get(f"/post/{bobs_post.id}").get_data(as_text=True), bobs_post.id)

    assert count_on_cards() == count_on_its_page() == 3
    unlike(dave, bobs_post)
    db.session.commit()
    assert count_on_cards() == count_on_its_page() == 2

    # A suspended account's likes are not counted (nor listed); lifting it brings them back.
    carol.suspended_at = utcnow()
    db.session.commit()
    assert count_on_cards() == 1
    assert "carol" not in reader.get(f"/post/{bobs_post.id}/likes").get_data(as_text=True)
    carol.suspended_at = None
    db.session.commit()
    assert count_on_cards() == 2

    # Hidden, the post keeps its likes (its author still sees them); unhidden, they show again.
    bobs_post.hidden_at = utcnow()
    db.session.commit()
    assert count_on_its_page() == 2
    assert f'id="post-{bobs_post.id}"' not in client_for("alice").get("/user/alice/likes").text
    bobs_post.hidden_at = None
    db.session.commit()

    # An account that goes takes its likes with it.
    db.session.execute(sa.delete(User).where(User.id == carol.id))
    db.session.commit()
    assert count_on_cards() == 1
    assert rows(db) == 3  # alice's two and dave's of the other: carol's two are gone
    # So does a post.
    db.session.execute(sa.delete(Post).where(Post.id == other.id))
    db.session.commit()
    assert rows(db) == 1
    assert count_on_cards() == 1


def test_liked_by_lists_the_newest_like_first_a_page_at_a_time(
    app, db, alice_client, make_user, bobs_post
):
    app.config["POSTS_PER_PAGE"] = 3
    likers = [make_user(f"fan{n}") for n in range(7)]
    start = utcnow()
    db.session.add_all(
        Like(user_id=fan.id, post_id=bobs_post.id, created_at=start + timedelta(seconds=n))
        for n, fan in enumerate(likers)
    )
    db.session.commit()
    seen, url = [], f"/post/{bobs_post.id}/likes"
    while url:
        page = alice_client.get(url).get_data(as_text=True)
        assert "Liked by" in page
        assert "like me" in page  # the post's card above the list
        seen.append(re.findall(r'<a href="/user/(fan\d)">', page))
        url = link(page, "next")
    assert seen == [["fan6", "fan5", "fan4"], ["fan3", "fan2", "fan1"], ["fan0"]]
    # Each with a Follow button for the reader, as in follower lists.
    assert 'Follow<span class="visually-hidden"> fan0</span>' in html.unescape(page)


def test_ones_likes_are_a_tab_of_ones_own_profile_only(db, client_for, alice, bob, make_post):
    first, second = make_post(bob, "first liked"), make_post(bob, "second liked")
    like(alice, first)
    db.session.commit()
    like(alice, second)
    db.session.commit()
    alices = client_for("alice")
    own = alices.get("/user/alice").get_data(as_text=True)
    assert 'href="/user/alice/likes"' in own
    tab = alices.get("/user/alice/likes").get_data(as_text=True)
    assert tab.index("second liked") < tab.index("first liked")
    assert 'href="/user/alice/likes" aria-current="page"' in tab

    bobs = client_for("bob")
    assert 'href="/user/alice/likes"' not in bobs.get("/user/alice").get_data(as_text=True)
    assert bobs.get("/user/alice/likes").status_code == 404
    assert "first liked" not in bobs.get("/user/alice/likes").get_data(as_text=True)
    empty = bobs.get("/user/bob/likes").get_data(as_text=True)
    assert "You haven&#39;t liked any posts yet." in empty


@pytest.mark.rate_limits
def test_liking_is_rate_limited(app, db, alice_client, bobs_post):
    app.config["RATELIMIT_LIKE"] = "2 per minute"
    url = f"/post/{bobs_post.id}"
    assert alice_client.submit(f"{url}/like", page="/").status_code == 302
    assert alice_client.submit(f"{url}/unlike", page="/").status_code == 302
    assert alice_client.submit(f"{url}/like", page="/").status_code == 429
    assert rows(db) == 0
