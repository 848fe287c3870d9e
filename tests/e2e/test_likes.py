"""Liking in a real browser: in place with JavaScript (no reload, the count changes where it
is), and back to the same card of the same page without it."""

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Like
from tests.e2e.helpers import log_in, screenshot


def like_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Like))


def test_like_and_unlike_from_the_home_timeline_in_place(page: Page, seed, live_app):
    ana, ben = seed.user("ana"), seed.user("ben")
    seed.follow(ben, ana)
    (post_id,) = seed.posts(ana, ["Look at this heron."])
    log_in(page, "ben")
    card = page.locator(f"#post-{post_id}")
    button = card.get_by_role("button", name="Like this post by ana", exact=True)
    count = card.locator(".like-count")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count).to_be_hidden()
    # Marks this very document: a reload or a navigation would lose it.
    page.evaluate("window.sameDocument = true")

    button.click()

    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count).to_be_visible()
    expect(count).to_have_text("1 like of this post by ana")
    assert page.evaluate("window.sameDocument") is True
    expect(page).to_have_url("/")
    assert like_rows(live_app) == 1
    screenshot(page, "liked-in-place")

    # What the page shows is what was saved.
    page.reload()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("1 like of this post by ana")
    page.evaluate("window.sameDocument = true")

    button.click()

    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True
    assert like_rows(live_app) == 0

    # Clicked twice at once: one like, one answer shown.
    button.dblclick()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text("1 like of this post by ana")
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
    card = page.locator(f"#post-{post_id}")
    expect(card.get_by_role("button", name="Like this post by ana")).to_have_attribute(
        "aria-pressed", "true"
    )
    card.get_by_role("link", name="1 like of this post by ana").click()
    expect(page.get_by_role("heading", name="Liked by")).to_be_visible()
    expect(page.locator("li.person")).to_have_text("ben")
    assert like_rows(live_app) == 1
