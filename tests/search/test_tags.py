"""Hashtags: stored once, normalised; linked from posts; each with its page; trending."""

import re
import threading
from datetime import timedelta
from urllib.parse import quote, unquote

import pytest
import sqlalchemy as sa

from app.listings.keyset import keyset_page
from app.models import Tag, post_tag, utcnow
from app.models.search import hashtags
from app.search.tags import _TAG_POSTS_JOINED, _TagPosts, forget_trending, tag_named, trending
from app.web import memo as memo_module
from tests.helpers import link

PERMALINK = re.compile(r'<a href="/post/(\d+)" class="post-permalink">')


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#Birds and #birds and #BIRDS", ["birds"]),
        ("#Café #CAFÉ #cafe", ["café", "cafe"]),  # case folds, accents stay
        ("#\uff21\uff22", ["ab"]),  # full-width letters are the plain ones (NFKC)
        ("#2024 #year2024 #_x", ["year2024", "_x"]),  # a tag has a letter
        ("a#b c##d &#39; see https://example.com/#top", []),  # not a tag's start
        ("(#one), #two. #three!", ["one", "two", "three"]),
        ("#" + "a" * 65, []),  # too long
    ],
)
def test_the_hashtags_of_a_text(text, tags):
    assert hashtags(text) == tags


def test_a_tag_is_stored_once_and_linked_from_its_posts(db, alice_client, alice, make_post):
    make_post(alice, "#Birds at dawn")
    make_post(alice, "more #birds and #Café")
    assert sorted(db.session.scalars(sa.select(Tag.name))) == ["birds", "café"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(post_tag)) == 3
    page = alice_client.get("/explore").get_data(as_text=True)
    assert '<a href="/tags/birds">#Birds</a> at dawn' in page
    assert '<a href="/tags/caf%C3%A9">#Café</a>' in page


def test_a_tag_page_lists_its_posts_newest_first_in_pages(app, alice_client, alice, make_post):
    app.config["POSTS_PER_PAGE"] = 2
    ids = [make_post(alice, f"number {n} #Count").id for n in range(5)]
    make_post(alice, "no tag here")
    url, seen = "/tags/COUNT", []
    while url:
        response = alice_client.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        seen += [int(n) for n in PERMALINK.findall(page)]
        url = link(page, "next")
    assert seen == ids[::-1]
    assert "<h1>#count</h1>" in alice_client.get("/tags/count").get_data(as_text=True)


def pages_both_ways(pages, per_page: int) -> tuple[list[list[int]], list[list[int]]]:
    """The post ids of each page of ``pages``, walked forwards to the end, then back."""
    page = keyset_page(pages, per_page)
    forward = [[card.id for card in page.items]]
    while page.next_cursor:
        page = keyset_page(pages, per_page, after=page.next_cursor)
        forward.append([card.id for card in page.items])
    backward = [[card.id for card in page.items]]
    while page.prev_cursor:
        page = keyset_page(pages, per_page, before=page.prev_cursor)
        backward.insert(0, [card.id for card in page.items])
    return forward, backward


@pytest.mark.parametrize("per_page", [1, 2, 3, 7])
def test_a_tag_page_checks_who_may_see_each_post_in_order_either_way(
    db, alice, bob, make_user, make_post, make_staff, per_page
):
    """The tag page's listing (ids first, then each post's visibility, on PostgreSQL) gives
    the pages of the plain join (SQLite's): others' hidden posts and suspended authors' posts
    left out wherever they fall, the reader's own hidden post kept, no gap or repeat."""
    carol, mod = make_user("carol"), make_staff("mod", "moderator")
    authors = [alice, bob, carol, bob, alice, bob, bob, alice, carol, bob, bob, alice, bob]
    posts = [make_post(author, f"number {n} #Count") for n, author in enumerate(authors)]
    for n in (1, 4, 5, 6, 12):  # each still shown to its author
        posts[n].hide(mod)
    carol.suspended_at = utcnow()
    db.session.commit()
    tag = tag_named("count")
    for reader in (alice, bob):
        values = {"tag_id": tag.id, "viewer_id": reader.id}
        want = pages_both_ways(_TAG_POSTS_JOINED.pages(**values), per_page)
        assert pages_both_ways(_TagPosts().pages(**values), per_page) == want
        shown = [post_id for ids in want[0] for post_id in ids]
        assert shown == [
            post.id
            for post in reversed(posts)
            if post.author != carol and (post.hidden_at is None or post.author == reader)
        ]


def test_a_tag_is_found_by_its_stored_name_as_its_id_and_name(db, alice, make_post):
    make_post(alice, "#Owls at night")
    stored = db.session.scalar(sa.select(Tag).where(Tag.name == "owls"))
    db.session.expunge_all()
    found = tag_named("owls")
    assert (found.id, found.name) == (stored.id, "owls")
    # Read as a tuple from the statement's text: no ORM object is loaded for a tag page.
    assert not any(isinstance(obj, Tag) for obj in db.session.identity_map.values())
    assert tag_named("Owls") is None  # names are looked up already normalised
    assert tag_named("bats") is None


@pytest.mark.parametrize("name", ["nothing", "a b", "%00", "x" * 100, "123"])
def test_a_tag_nobody_used_is_not_found(alice_client, name):
    assert alice_client.get(f"/tags/{name}").status_code == 404


def test_editing_or_deleting_a_post_changes_its_tags(db, alice_client, alice, make_post):
    post = make_post(alice, "#old news")
    post.edit("#new news")
    db.session.commit()
    assert PERMALINK.findall(alice_client.get("/tags/new").get_data(as_text=True)) == [str(post.id)]
    assert PERMALINK.findall(alice_client.get("/tags/old").get_data(as_text=True)) == []
    alice_client.submit(f"/post/{post.id}/delete", {})
    assert PERMALINK.findall(alice_client.get("/tags/new").get_data(as_text=True)) == []


def test_the_tags_tab_finds_tags_by_their_start(alice_client, alice, make_post):
    make_post(alice, "#birdwatching #Birds #bees")
    page = alice_client.get("/search/tags?q=%23BIRD").get_data(as_text=True)
    assert re.findall(r'<a href="/tags/(\w+)">', page) == ["birds", "birdwatching"]
    assert "No tag starts with" in alice_client.get("/search/tags?q=zz").get_data(as_text=True)


def test_the_tags_tab_finds_names_with_any_letters_by_code_point(alice_client, alice, make_post):
    make_post(alice, "#café #cafe #cafés #caf #cag #Çà")

    def found(text: str) -> list[str]:
        names, url = [], f"/search/tags?q={quote(text)}"
        while url:  # three to a page in tests
            page = alice_client.get(url).get_data(as_text=True)
            names += [unquote(name) for name in re.findall(r'<a href="/tags/([^"]+)">', page)]
            url = link(page, "next")
        return names

    assert found("caf") == ["caf", "cafe", "café", "cafés"]
    assert found("#Café") == ["café", "cafés"]
    assert found("ç") == ["çà"]


def test_trending_counts_people_in_the_last_day(db, make_user, make_post, make_staff):
    now = utcnow()
    people = [make_user(f"person{n}") for n in range(4)]
    for person in people[:3]:
        make_post(person, "#owls are out", now - timedelta(hours=2))
    for _ in range(5):  # one person, many posts: still one person
        make_post(people[3], "#spam #owls", now - timedelta(hours=1))
    make_post(people[0], "#spam", now - timedelta(hours=3))
    make_post(people[1], "#yesterday", now - timedelta(hours=25))
    hidden = make_post(people[2], "#hidden", now - timedelta(minutes=5))
    hidden.hide(make_staff("mod", "moderator"))
    suspended = make_user("suspended")
    make_post(suspended, "#suspended", now - timedelta(minutes=5))
    suspended.suspended_at = now
    db.session.commit()
    assert [tuple(trend) for trend in trending()] == [("owls", 4), ("spam", 2)]


def test_trending_is_on_explore_and_counted_at_most_once_a_minute(
    db, alice_client, alice, make_post
):
    make_post(alice, "#first")
    page = alice_client.get("/explore").get_data(as_text=True)
    assert '<a href="/tags/first">#first</a> <span class="trend-count">1 person today' in page
    make_post(alice, "#second")
    assert "#second</a> <span" not in alice_client.get("/explore").get_data(as_text=True)


def test_trending_is_counted_with_a_plan_for_its_window(app, db, alice, make_post):
    # The app plans statements generically on PostgreSQL; for the trending count that plan
    # guesses a third of all posts are in the window and reads every post_tag row.
    make_post(alice, "#owls")
    forget_trending(app)
    assert [tuple(trend) for trend in trending()] == [("owls", 1)]
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(sa.text("SHOW plan_cache_mode")) == "force_custom_plan"


def test_a_minute_later_explore_shows_the_last_count_while_the_next_is_made(
    app, db, alice_client, alice, make_post, monkeypatch
):
    make_post(alice, "#first")
    assert "#first</a> <span" in alice_client.get("/explore").get_data(as_text=True)
    make_post(alice, "#second")
    later = memo_module.time.monotonic() + 61
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: later)
    # The stale list is shown at once; a thread of the process counts again behind it.
    page = alice_client.get("/explore").get_data(as_text=True)
    assert "#first</a> <span" in page
    for _ in range(500):
        if "#second</a> <span" in alice_client.get("/explore").get_data(as_text=True):
            break
        threading.Event().wait(0.01)
    else:
        raise AssertionError("the trending tags were never counted again")


def side_column(page: str) -> str:
    """The side column of a page (it comes last in <main>'s wrapper)."""
    return page[page.index('<aside class="side"') : page.index("</aside>")]


def test_the_side_column_lists_trending_tags_below_who_to_follow(
    db, alice_client, alice, bob, make_user, make_post, make_staff
):
    carol = make_user("carol")
    alice.follow(bob)
    bob.follow(carol)  # carol is suggested to alice
    db.session.commit()
    make_post(bob, "#Owls at dusk")
    make_post(carol, "#owls again, and #moths")
    hidden = make_post(bob, "#hushed")
    hidden.hide(make_staff("mod", "moderator"))
    suspended = make_user("suspended")
    make_post(suspended, "#banned")
    suspended.suspended_at = utcnow()
    db.session.commit()

    side = side_column(alice_client.get("/").get_data(as_text=True))
    assert side.index("Who to follow") < side.index('<h2 id="side-trending-heading">Trending</h2>')
    trends = re.findall(
        r'<li><a href="/tags/(\w+)">#\1</a> <span class="trend-count">([^<]+)', side
    )
    # Not the hidden post's tag, nor the suspended account's.
    assert trends == [("owls", "2 people today"), ("moths", "1 person today")]
    # Explore's own list is the same, as its own section: no side column there.
    explore = alice_client.get("/explore").get_data(as_text=True)
    assert '<aside class="side"' not in explore
    assert '<a href="/tags/owls">#owls</a> <span class="trend-count">2 people today' in explore
    # The tag it links to is there to open.
    assert alice_client.get("/tags/owls").status_code == 200


@pytest.mark.parametrize("url", ["/user/alice", "/post/{post}"])
def test_the_side_column_has_trending_tags_wherever_it_is_shown(
    alice_client, alice, make_post, url
):
    post = make_post(alice, "#wrens sing")
    side = side_column(alice_client.get(url.format(post=post.id)).get_data(as_text=True))
    assert "Who to follow" not in side  # home only
    assert '<a href="/tags/wrens">#wrens</a>' in side


def test_the_side_column_has_no_trending_section_without_tags(alice_client, alice, make_post):
    make_post(alice, "no tags today")
    assert 'id="side-trending-heading"' not in alice_client.get("/").get_data(as_text=True)


def test_a_thread_pages_side_column_is_kept_until_the_trends_change(
    app, alice_client, alice, make_post
):
    post = make_post(alice, "#wrens sing")
    url = f"/post/{post.id}"
    fragments = app.extensions["fragments"]
    first = side_column(alice_client.get(url).get_data(as_text=True))
    kept = len(fragments)
    # Another view of it renders nothing new: the side column is one kept fragment.
    assert side_column(alice_client.get(url).get_data(as_text=True)) == first
    assert len(fragments) == kept
    assert 'id="side-q"' in first
    assert '<a href="/tags/wrens">#wrens</a>' in first
    make_post(alice, "#finches too")
    forget_trending(app)  # a minute later
    after = side_column(alice_client.get(url).get_data(as_text=True))
    assert '<a href="/tags/finches">#finches</a>' in after
    assert len(fragments) == kept + 1
