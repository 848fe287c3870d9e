"""Finding what was said: post with a hashtag, find it by a word, a phrase and the tag, put
the most relevant first, and follow the tag's link, in a real browser against the live
server."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, screenshot


def test_post_with_a_tag_then_find_it_by_word_phrase_and_tag(page: Page, seed):
    other = seed.user("frank")
    seed.posts(other, ["The mill is old", "A kingfisher, far from any mill #fishing"])
    seed.user("erin")
    log_in(page, "erin")
    page.get_by_label("Say something").fill("Spotted a Kingfisher by the old mill #Birds")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Your post is live!")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Explore").click()
    search = page.get_by_role("search").filter(has=page.get_by_label("Search posts"))
    search.get_by_label("Search posts").fill("KINGFISHER")
    search.get_by_label("Search posts").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/posts\?q=KINGFISHER$"))
    posts = page.locator("article.post")
    expect(posts).to_have_count(2)
    expect(posts.first).to_contain_text("Spotted a Kingfisher by the old mill")
    expect(posts.first.locator("mark")).to_have_text("Kingfisher")
    screenshot(page, "search-posts")

    # Most relevant first: "kingfisher" is 1 word of frank's 7, 1 of erin's 8.
    order = page.get_by_role("navigation", name="Order of results")
    expect(order.get_by_role("link", name="Newest")).to_have_attribute("aria-current", "true")
    order.get_by_role("link", name="Most relevant").click()
    expect(page).to_have_url(re.compile(r"/search/posts\?q=KINGFISHER&sort=relevant$"))
    expect(order.get_by_role("link", name="Most relevant")).to_have_attribute(
        "aria-current", "true"
    )
    expect(posts).to_have_count(2)
    expect(posts.first).to_contain_text("A kingfisher, far from any mill")
    screenshot(page, "search-posts-relevant")

    page.get_by_label("Search posts").fill('"old mill"')
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"sort=relevant"))  # a new search keeps the order
    expect(posts).to_have_count(1)
    expect(posts.first.locator("mark")).to_have_text(["old", "mill"])

    page.get_by_label("Search posts").fill("#birds")
    page.get_by_role("button", name="Search").click()
    expect(posts).to_have_count(1)
    expect(posts.first).to_contain_text("Spotted a Kingfisher")

    posts.first.get_by_role("link", name="#Birds").click()
    expect(page).to_have_url(re.compile(r"/tags/birds$"))
    expect(page.get_by_role("heading", name="#birds")).to_be_visible()
    expect(page.locator("article.post")).to_have_count(1)
    expect(page.locator("article.post")).to_contain_text("Spotted a Kingfisher by the old mill")
