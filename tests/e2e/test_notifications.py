"""Notifications in a real browser: the bell counts without a reload, the page groups and
marks read, undoing an event takes its notification away, and all of it works without
JavaScript."""

import re
import time
from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, screenshot


@pytest.fixture
def quick_polls(live_app, monkeypatch):
    """Pages ask for the unread count every second (a minute in production)."""
    monkeypatch.setitem(live_app.config, "NOTIFICATIONS_POLL_SECONDS", 1)


UNREAD = "/notifications/unread"


def bell(page: Page):
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Notifications")
    )


def test_the_bell_counts_without_a_reload_and_the_page_groups_and_marks_read(
    new_context, seed, quick_polls
):
    alice, carol = seed.user("alice"), seed.user("carol")
    seed.user("bob")
    seed.follow(carol, alice)
    seed.posts(alice, ["A kingfisher on the willow, again."])
    a = new_context().new_page()
    log_in(a, "alice")
    expect(bell(a)).to_have_accessible_name("Notifications 1 unread")

    # B follows A from her profile, likes her post and mentions her, in another browser.
    b = new_context().new_page()
    log_in(b, "bob")
    b.goto("/user/alice")
    b.get_by_role("button", name="Follow").click()
    expect(b.get_by_text("You are following alice.")).to_be_visible()
    kingfisher = b.locator("article.post", has_text="A kingfisher on the willow")
    like = kingfisher.get_by_role("button", name="Like this post by alice")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    b.goto("/")
    b.get_by_label("Say something").fill("Have you met @alice? She knows every bird.")
    b.get_by_role("button", name="Post", exact=True).click()
    expect(b.get_by_text("Your post is live!")).to_be_visible()

    # A's page was not reloaded: the poll brings the count.
    expect(bell(a)).to_have_accessible_name("Notifications 4 unread")
    bell(a).click()
    lines = a.locator("li.notification")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("bob mentioned you")
    expect(lines.nth(0)).to_contain_text("Have you met @alice?")
    expect(lines.nth(1)).to_contain_text("bob liked your post")
    expect(lines.nth(2)).to_contain_text(re.compile(r"bob and 1 other\s+followed you"))
    expect(a.locator("li.notification-unread")).to_have_count(3)  # new when the page opened
    expect(bell(a)).to_have_accessible_name("Notifications")  # and now read
    screenshot(a, "notifications")
    a.get_by_role("link", name="Mentions").click()
    expect(lines).to_have_count(1)

    # B unlikes and unfollows: neither is news any more.
    b.goto("/user/alice")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    b.get_by_role("button", name="Unfollow").click()
    expect(b.get_by_text("You are not following alice.")).to_be_visible()
    a.goto("/notifications")
    expect(lines).to_have_count(2)
    expect(lines.nth(1)).to_contain_text(re.compile(r"carol\s+followed you"))
    expect(lines.nth(1)).not_to_contain_text("other")

    # The mention links to A's profile from B's post.
    b.goto("/user/bob")
    b.locator("article.post").get_by_role("link", name="@alice").click()
    expect(b).to_have_url(re.compile("/user/alice$"))


def test_notifications_work_without_javascript(new_context, seed):
    alice, bob = seed.user("alice"), seed.user("bob")
    seed.follow(bob, alice)
    a = new_context(java_script_enabled=False).new_page()
    log_in(a, "alice")
    expect(bell(a)).to_have_accessible_name("Notifications 1 unread")
    bell(a).click()
    expect(a.locator("li.notification")).to_contain_text("bob followed you")
    a.get_by_role("link", name="Notification settings").click()
    a.get_by_label("Someone follows you").uncheck()
    a.get_by_role("button", name="Save").click()
    expect(a.get_by_text("Your notification settings have been saved.")).to_be_visible()
    expect(a.get_by_label("Someone follows you")).not_to_be_checked()
    a.goto("/notifications")
    expect(a.locator("li.notification")).to_have_count(0)


def show_tab(page: Page, visible: bool) -> None:
    """Hide the tab or show it again, as switching to another tab (or back) would: the page's
    document says it is hidden (or visible), and hears ``visibilitychange``. Playwright keeps
    every page a visible foreground tab, with no API to change that: the document is told."""
    page.evaluate(
        """(visible) => {
            const define = (name, value) =>
                Object.defineProperty(document, name, {configurable: true, get: () => value});
            define("visibilityState", visible ? "visible" : "hidden");
            define("hidden", !visible);
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        visible,
    )


def test_the_poll_backs_off_while_the_tab_is_hidden_and_resumes_when_shown(
    new_context, seed, quick_polls
):
    """Every second while shown (the test's setting); hidden, each wait twice the one before;
    shown again, a question at once and then every second again."""
    seed.user("alice")
    page = new_context().new_page()
    log_in(page, "alice")
    asked: list[float] = []  # when the page asked for the unread count

    def note(request) -> None:
        if request.url.endswith(UNREAD):
            asked.append(time.monotonic())

    page.on("request", note)
    page.wait_for_timeout(3_500)
    assert len(asked) >= 2, asked  # about 3 at the shown pace

    show_tab(page, visible=False)
    hidden_from = len(asked)
    page.wait_for_timeout(9_000)
    while_hidden = asked[hidden_from:]
    # The poll due when the tab was hidden, then 2 s later, then 4 s after that (8 s next):
    # three questions in 9 s, where the shown pace would ask about nine times.
    assert 2 <= len(while_hidden) <= 4, while_hidden
    waits = [later - earlier for earlier, later in pairwise(while_hidden)]
    assert all(wait >= 1.7 for wait in waits), waits
    assert all(later >= earlier * 1.6 for earlier, later in pairwise(waits)), waits

    # Shown again: it asks at once, not when the 8 s wait ends, then every second again.
    shown_at = time.monotonic()
    with page.expect_request(f"**{UNREAD}", timeout=1_500):
        show_tab(page, visible=True)
    page.wait_for_timeout(3_500)
    assert len([when for when in asked if when >= shown_at]) >= 3, asked
