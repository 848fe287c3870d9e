"""Follower and following lists: newest follow first, page by page, old links handled."""

import html
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.models import User, followers
from app.web import memo
from tests.helpers import link, people_on, walk

START = datetime(2026, 1, 1, tzinfo=UTC)


def follow_at(db, follower: User, followed: User, when: datetime) -> None:
    """``follower`` follows ``followed`` since ``when``."""
    follower.follow(followed)
    db.session.execute(
        sa.update(followers)
        .where(followers.c.follower_id == follower.id, followers.c.followed_id == followed.id)
        .values(created_at=when)
    )
    db.session.commit()


@pytest.fixture
def fans(db, alice, make_user):
    """Seven people who followed alice a day apart (fan0 first); two at the same moment."""
    people = [make_user(f"fan{n}") for n in range(7)]
    for n, fan in enumerate(people):
        follow_at(db, fan, alice, START + timedelta(days=min(n, 5)))
    return people


def test_followers_are_listed_newest_first_across_pages(alice_client, fans):
    pages = walk(alice_client, "/user/alice/followers")
    # fan5 and fan6 followed at the same moment: the later account (higher id) comes first.
    assert pages == [["fan6", "fan5", "fan4"], ["fan3", "fan2", "fan1"], ["fan0"]]


def test_paging_back_gives_the_same_pages(alice_client, fans):
    forward = []
    url = "/user/alice/followers"
    while url:
        page = alice_client.get(url).get_data(as_text=True)
        forward.append(people_on(page))
        last, url = page, link(page, "next")
    backward = walk(alice_client, link(last, "prev"), rel="prev")
    assert backward == list(reversed(forward[:-1]))


def test_following_lists_the_most_recently_followed_first(db, alice_client, alice, make_user):
    for n, name in enumerate(["zed", "amy", "mo"]):
        follow_at(db, alice, make_user(name), START + timedelta(hours=n))
    assert walk(alice_client, "/user/alice/following") == [["mo", "amy", "zed"]]


def test_following_again_moves_someone_to_the_top(db, alice_client, alice, fans):
    fans[0].unfollow(alice)
    db.session.commit()
    fans[0].follow(alice)  # now: after every other follow
    db.session.commit()
    assert walk(alice_client, "/user/alice/followers")[0] == ["fan0", "fan6", "fan5"]


def test_the_model_lists_match_the_pages(db, alice, fans):
    newest_first = ["fan6", "fan5", "fan4", "fan3", "fan2", "fan1", "fan0"]
    assert [u.username for u in db.session.scalars(alice.followers_list())] == newest_first
    assert [u.username for u in db.session.scalars(fans[3].following_list())] == ["alice"]


def test_a_follow_records_when_it_began(db, alice, bob):
    before = datetime.now(UTC)
    alice.follow(bob)
    db.session.commit()
    began = db.session.scalar(sa.select(followers.c.created_at))
    assert before <= began <= datetime.now(UTC)


def test_following_through_the_relationship_dates_the_follow_too(db, alice, bob):
    """``u.following.add(v)`` in ``flask shell`` works as ``u.follow(v)`` does."""
    alice.following.add(bob)
    db.session.commit()
    assert alice.is_following(bob)
    assert db.session.scalar(sa.select(followers.c.created_at)) is not None


def test_an_alphabetical_page_link_from_before_gets_a_way_to_the_first_page(alice_client, fans):
    """Links saved when these lists were sorted by name carried a name as their cursor."""
    response = alice_client.get("/user/alice/followers?after=fan3")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<a href="/user/alice/followers">Go to the first page</a>' in page


BUTTON = re.compile(
    r'<form action="(/(?:un)?follow/(\w+)\?next=[^"]*)" method="post" class="inline-form">.*?'
    r'<button type="submit" class="[^"]*">(\w+)<span class="visually-hidden"> (\w+)</span>',
    re.S,
)


def buttons_on(page: str) -> dict[str, str]:
    """Each listed person's button: {"bob": "Follow"}; its hidden text must name them."""
    found = {}
    for _action, target, label, named in BUTTON.findall(page):
        assert named == target
        found[target] = label
    return found


def test_lists_offer_follow_or_unfollow_for_each_person_but_oneself(
    db, alice_client, alice, bob, make_user
):
    carol, dave = make_user("carol"), make_user("dave")
    for fan in (alice, carol, dave):
        fan.follow(bob)
    alice.follow(carol)
    db.session.commit()
    page = alice_client.get("/user/bob/followers").get_data(as_text=True)
    assert people_on(page) == ["dave", "carol", "alice"]
    assert buttons_on(page) == {"dave": "Follow", "carol": "Unfollow"}


def test_following_from_a_list_comes_back_to_that_page(db, alice_client, alice, fans):
    second = link(alice_client.get("/user/alice/followers").get_data(as_text=True), "next")
    page = alice_client.get(second).get_data(as_text=True)
    action = html.unescape(BUTTON.search(page).group(1))  # fan3, the first on that page
    response = alice_client.submit(action, page=second)
    assert response.status_code == 302
    assert response.headers["Location"] == second
    back = alice_client.get(second).get_data(as_text=True)
    assert "You are following fan3." in back
    assert buttons_on(back)["fan3"] == "Unfollow"
    assert alice.is_following(fans[3])


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_a_follow_never_sends_anyone_to_another_site(alice_client, bob, next_url):
    response = alice_client.submit(f"/follow/bob?next={next_url}", page="/user/bob")
    assert response.headers["Location"] == "/user/bob"


def test_unconfirmed_readers_get_only_unfollow_buttons(db, client, login, alice, make_user):
    newbie = make_user("newbie", confirmed=False)
    newbie.follow(alice)  # followed before that was refused to the unconfirmed
    db.session.commit()
    make_user("carol").follow(alice)
    db.session.commit()
    login("newbie")
    page = client.get("/user/alice/followers").get_data(as_text=True)
    assert people_on(page) == ["carol", "newbie"]
    assert buttons_on(page) == {}  # carol: not followed, and following needs a confirmed address
    page = client.get("/user/newbie/following").get_data(as_text=True)
    assert buttons_on(page) == {"alice": "Unfollow"}


def test_suspended_accounts_are_left_out_of_both_lists(db, alice_client, alice, bob, fans):
    fans[6].suspended_at = datetime.now(UTC)
    follow_at(db, alice, bob, START)
    bob.suspended_at = datetime.now(UTC)
    db.session.commit()
    assert walk(alice_client, "/user/alice/followers") == [
        ["fan5", "fan4", "fan3"],
        ["fan2", "fan1", "fan0"],
    ]
    assert walk(alice_client, "/user/alice/following") == [[]]
    fans[6].suspended_at = None  # lifting the suspension brings them back
    db.session.commit()
    assert walk(alice_client, "/user/alice/followers")[0] == ["fan6", "fan5", "fan4"]


def test_the_side_column_suggests_whom_followed_people_follow(
    db, alice_client, alice, bob, make_user
):
    carol = make_user("carol")
    alice.follow(bob)
    bob.follow(carol)
    db.session.commit()
    page = alice_client.get("/").get_data(as_text=True)
    side = page[page.index('<aside class="side"') :]
    assert "Who to follow" in side
    assert people_on(side) == ["carol"]
    assert 'action="/follow/carol?next=/"' in side
    # Following her from there comes back to home, where she is no longer suggested.
    response = alice_client.submit("/follow/carol?next=/", {}, page="/")
    assert response.headers["Location"] == "/"
    assert "Who to follow" not in alice_client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "side_column", "boxes"),
    [("/", True, 1), ("/user/alice", True, 1), ("/explore", False, 2)],
)
def test_one_people_search_per_page_and_suggestions_on_home_only(
    db, alice_client, alice, bob, make_user, url, side_column, boxes
):
    """Suggestions cost a statement, so only home, where newcomers look for people, shows
    them; profiles keep the side column's search box, Explore has its own two (posts, people)."""
    alice.follow(bob)
    bob.follow(make_user("carol"))
    db.session.commit()
    page = alice_client.get(url).get_data(as_text=True)
    assert page.count('role="search"') == boxes
    assert ('<aside class="side"' in page) is side_column
    assert ("Who to follow" in page) is (url == "/")


def test_search_results_mark_explore_as_the_current_place(alice_client):
    page = alice_client.get("/search?q=bob").get_data(as_text=True)
    assert re.search(r'<a href="/explore" aria-current="true">Explore</a>', page)


def test_the_side_column_asks_for_suggestions_once_a_minute(
    db, alice_client, alice, bob, make_user, statements, monkeypatch
):
    carol = make_user("carol")
    alice.follow(bob)
    bob.follow(carol)
    db.session.commit()

    def asked() -> int:
        return sum("AS their_follows" in sql for sql in statements)

    alice_client.get("/")
    assert asked() == 1
    dave = make_user("dave")
    bob.follow(dave)
    db.session.commit()
    # Within the minute, the process shows the suggestions it found.
    assert people_on(side_of(alice_client.get("/"))) == ["carol"]
    assert asked() == 1
    later = time.monotonic() + 61
    monkeypatch.setattr(memo.time, "monotonic", lambda: later)
    assert people_on(side_of(alice_client.get("/"))) == ["carol", "dave"]
    assert asked() == 2


def side_of(response) -> str:
    """The side column of a page."""
    page = response.get_data(as_text=True)
    return page[page.index('<aside class="side"') :]
