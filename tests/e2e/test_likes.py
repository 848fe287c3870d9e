"""Liking in a real browser: in place with JavaScript (no reload, the count changes where it
is), and back to the same card of the same page without it."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Like
from tests.e2e.helpers import log_in, screenshot


def like_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Like))


def heart_filled(button) -> bool:
    """Whether the button's heart is filled (it is only an outline until liked)."""
    return button.locator("svg").evaluate("e => getComputedStyle(e).fill") != "none"


def test_like_and_unlike_from_the_home_timeline_in_place(page: Page, seed, live_app):
    ana, ben = seed.user("ana"), seed.user("ben")
    seed.follow(ben, ana)
    (post_id,) = seed.posts(ana, ["Look at this heron."])
    log_in(page, "ben")
    card = page.locator(f"#post-{post_id}")
    # Its name changes with the count: found by where it is, its name checked each time.
    button = card.locator("form[data-like] button")
    count = button.locator(".action-count")
    expect(button).to_have_accessible_name("Like this post by ana")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count).to_be_hidden()
    assert not heart_filled(button)
    # Marks this very document: a reload or a navigation would lose it.
    page.evaluate("window.sameDocument = true")

    button.click()

    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_accessible_name("Like this post by ana, 1 like")
    expect(count).to_be_visible()
    expect(count).to_have_text("1")
    assert heart_filled(button)
    assert page.evaluate("window.sameDocument") is True
    expect(page).to_have_url("/")
    assert like_rows(live_app) == 1
    screenshot(page, "liked-in-place")

    # What the page shows is what was saved.
    page.reload()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_accessible_name("Like this post by ana, 1 like")
    expect(count).to_have_text("1")
    page.evaluate("window.sameDocument = true")

    button.click()

    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_have_accessible_name("Like this post by ana")
    expect(count).to_be_hidden()
    assert not heart_filled(button)
    assert page.evaluate("window.sameDocument") is True
    assert like_rows(live_app) == 0

    # Clicked twice at once: one like, one answer shown.
    button.dblclick()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_accessible_name("Like this post by ana, 1 like")
    assert like_rows(live_app) == 1


def test_liking_without_javascript_comes_back_to_the_card(new_context, seed, live_app):
    ana, ben = seed.user("ana"), seed.user("ben")
    seed.follow(ben, ana)
    (post_id,) = seed.posts(ana, ["No scripts needed to like this."])
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "ben")
    page.goto("/explore")

    page.locator(f"#post-{post_id}").get_by_role("button", name="Like this post by ana").click()

    expect(page).to_have_url(f"/explore#post-{post_id}")
    button = page.locator(f"#post-{post_id}").get_by_role("button", name=re.compile("^Like"))
    expect(button).to_have_accessible_name("Like this post by ana, 1 like")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert heart_filled(button)
    # Who liked it: from the count on the post's own page.
    page.goto(f"/post/{post_id}")
    page.locator(".post-counts").get_by_role("link", name="1 like").click()
    expect(page.get_by_role("heading", name="Liked by")).to_be_visible()
    expect(page.locator("li.person")).to_have_text("ben")
    assert like_rows(live_app) == 1
