"""The feed pages as people see them: cards with compact icon controls (the Like heart among
them) and a "more" menu, the side column (who to follow on home, trending tags), and a thread
page centred on its post. Screenshots of each, at 1280 and 390 px in both colour schemes, go to
tests/e2e/screenshots (feed-*.png)."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import axe_violations, log_in, screenshot

WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


def seed_feed(seed) -> dict[str, str]:
    """alice follows bob, who follows dave (suggested to alice); bob's post has a thread, and
    likes (one of them alice's); #wrens and #herons trend. Returns the pages to look at
    (name -> URL)."""
    alice, bob, carol = seed.user("alice"), seed.user("bob"), seed.user("carol")
    seed.follow(alice, bob)
    seed.follow(bob, seed.user("dave", about_me="Counts the swifts."))
    seed.posts(alice, ["Hello, Chirp! Any birders here? #wrens"], timedelta(hours=3))
    seed.posts(
        bob,
        [f"Bird note {n}: a wren sang at dawn. #wrens" for n in range(1, 4)],
        timedelta(hours=1),
    )
    (heron,) = seed.posts(bob, ["A heron stood in the river for an hour, then one fish. #herons"])
    answer = seed.reply(heron, alice, "@bob Which river was that?")
    seed.reply(answer, bob, "@alice The Wey, below the lock.")
    seed.reply(heron, carol, "Patience pays.")
    seed.like(alice, heron)
    seed.like(carol, heron)
    return {
        "home": "/",
        "explore": "/explore",
        "profile": "/user/bob",
        "thread": f"/post/{heron}",
        "tag": "/tags/wrens",
    }


def card(page: Page, text: str):
    """The card holding ``text``."""
    return page.locator("article.post", has_text=text)


def more_menu(card, author: str):
    """The "more" menu's <summary> on ``card``, checked to be named for ``author``'s post.

    Browsers expose a <summary> as a disclosure (expanded or not), not a role Playwright finds.
    """
    summary = card.locator("details.post-more > summary")
    expect(summary).to_have_accessible_name(f"More actions for this post by {author}")
    return summary


def outline(control) -> str:
    """The focus ring ``control`` shows: its outline's style and width."""
    return control.evaluate(
        "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_feed_pages_pass_axe_and_fit_with_a_menu_open(new_context, seed, viewport, scheme):
    pages = seed_feed(seed)
    page = new_context(viewport=viewport, color_scheme=scheme).new_page()
    log_in(page, "alice")
    found = []
    for name, url in pages.items():
        page.goto(url)
        found += [f"{name}: {problem}" for problem in axe_violations(page)]
        if page.evaluate("document.documentElement.scrollWidth") > viewport["width"]:
            found.append(f"{name}: scrolls sideways")
        screenshot(page, f"feed-{name}")
    # The menu open, over the cards below it, still inside the page on a phone.
    page.goto("/")
    heron = card(page, "A heron stood")
    more_menu(heron, "bob").click()
    report = heron.get_by_role("link", name="Report this post by bob")
    expect(report).to_be_visible()
    box = report.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    found += [f"menu open: {problem}" for problem in axe_violations(page)]
    screenshot(page, "feed-home-menu-open")
    assert found == []


def test_thread_page_is_centred_on_its_post(page: Page, seed):
    thread = seed_feed(seed)["thread"]
    log_in(page, "alice")
    page.goto(thread)
    focus = page.locator(".thread-focus article.post")
    body = focus.locator(".post-body")
    reply_body = page.get_by_role("region", name="Replies").locator(".post-body").first
    assert float(body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) > float(
        reply_body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    )
    expect(focus.locator("time")).to_have_text(
        re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC$")
    )
    # Direct replies, and likes (a link to who liked it).
    expect(focus.locator(".post-counts").get_by_role("listitem")).to_have_text(
        ["2 replies", "2 likes"]
    )


def test_card_menu_works_without_javascript(new_context, seed):
    seed_feed(seed)
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "alice")
    page.goto("/user/alice")
    own = card(page, "Hello, Chirp!")
    more_menu(own, "alice").click()
    expect(own.get_by_role("link", name="Edit this post")).to_be_visible()
    expect(own.get_by_role("link", name="Delete this post")).to_be_visible()
    expect(own.get_by_role("link", name=re.compile("^Report"))).to_have_count(0)
    page.goto("/explore")
    heron = card(page, "A heron stood")
    more_menu(heron, "bob").click()
    heron.get_by_role("link", name="Report this post by bob").click()
    expect(page.get_by_role("heading", name="Report this post")).to_be_visible()


def test_card_controls_by_keyboard_show_focus_and_escape_closes_the_menu(page: Page, seed):
    seed_feed(seed)
    log_in(page, "alice")
    heron = card(page, "A heron stood")
    reply = heron.get_by_role("button", name="Reply to bob, 2 replies")
    more = more_menu(heron, "bob")
    reply.focus()
    page.keyboard.press("Tab")  # the Like button sits between them
    like = heron.get_by_role("button", name="Like this post by bob")
    expect(like).to_be_focused()
    assert outline(like) == "solid 3px"
    page.keyboard.press("Tab")
    expect(more).to_be_focused()
    assert outline(more) == "solid 3px"
    page.keyboard.press("Enter")
    report = heron.get_by_role("link", name="Report this post by bob")
    expect(report).to_be_visible()
    page.keyboard.press("Tab")
    expect(report).to_be_focused()
    page.keyboard.press("Escape")
    expect(report).to_be_hidden()
    expect(more).to_be_focused()
    # Reply opens the thread with the reply box ready.
    reply.click()
    expect(page.get_by_label("Your reply")).to_be_focused()


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_trending_tags_come_after_who_to_follow_in_the_side_column(new_context, seed, viewport):
    """Beside the feed on a desktop; after it on a phone, whose reading order stays the feed's."""
    seed_feed(seed)
    page = new_context(viewport=viewport).new_page()
    log_in(page, "alice")
    side = page.get_by_role("complementary", name="People and tags")
    suggestions = side.get_by_role("region", name="Who to follow")
    trending = side.get_by_role("region", name="Trending")
    expect(suggestions.get_by_role("link", name="dave")).to_be_visible()
    expect(trending.get_by_role("listitem")).to_have_text(
        ["#wrens 2 people today", "#herons 1 person today"]
    )
    feed = page.locator("main").bounding_box()
    above, below = suggestions.bounding_box(), trending.bounding_box()
    assert below["y"] >= above["y"] + above["height"]
    if viewport is WIDE:
        assert above["x"] >= feed["x"] + feed["width"]
    else:
        assert above["y"] >= feed["y"] + feed["height"]
    trending.get_by_role("link", name="#wrens").click()
    expect(page).to_have_url("/tags/wrens")
    expect(page.get_by_role("heading", name="#wrens", level=1)).to_be_visible()
