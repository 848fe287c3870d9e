"""Every main page, at desktop and phone width, light and dark: axe-core finds nothing serious,
the structure is sound, nothing overflows sideways, and a screenshot is saved for review.

These check what the browser shows and how the keyboard moves through it, which no database
changes: they run on the SQLite pass only. Run twice they cost CI about 2.5 minutes more
(310 s of a PostgreSQL pass's 2,107 worker-seconds, 2026-12-05); the journeys, which do
depend on what is stored, run on both.
"""

import re
from datetime import timedelta
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.mail.tokens import email_confirmation_token
from app.models import ABOUT_ME_MAX_LENGTH, POST_MAX_LENGTH, User
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    axe_violations,
    heading_levels,
    landmarks,
    log_in,
    screenshot,
)
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    TEST_DATABASE_URL.startswith("postgresql"), reason="rendering: checked on the SQLite pass"
)

ANONYMOUS_PAGES = {
    "login": "/auth/login",
    "register": "/auth/register",
}
MEMBER_PAGES = {
    "home": "/",
    "explore": "/explore",
    "profile-own": "/user/alice",
    "profile-other": "/user/bob",
    "followers": "/user/alice/followers",
    "following-empty": "/user/carol/following",
    "edit-profile": "/edit_profile",
    "search-results": "/search?q=b",
    "search-posts": "/search/posts?q=hello+-x",
    "search-posts-relevant": "/search/posts?q=hello+-x&sort=relevant",
    "tag": "/tags/chirp",
    "search-mistake": "/search?q=b+o",
    "profile-replies": "/user/bob/with_replies",
    "not-found": "/user/nobody",
}

MAX_CRAWLED_PAGES = 30


def seed_world(seed) -> dict[str, str]:
    """A small community: alice follows bob and carol; bob posts a lot, carol never; bob
    follows dave, whom the side column suggests to alice; a thread under one of bob's posts,
    with a hidden reply in it. Returns its pages (name -> URL)."""
    alice = seed.user("alice", about_me="Writes tests for fun.")
    bob = seed.user("bob", about_me="Birds, mostly. " * 6)
    carol = seed.user("carol")
    seed.posts(
        bob, [f"Bird note {n}: a wren sang at dawn." for n in range(1, 5)], timedelta(days=1)
    )
    seed.posts(alice, ["Hello, #Chirp!", "Line one\nLine two, after a break."], timedelta(hours=2))
    (wren,) = seed.posts(bob, ["https://example.org/" + "a-very-long-unbroken-path" * 4])
    seed.follow(alice, bob)
    seed.follow(alice, carol)
    seed.follow(bob, alice)
    seed.follow(bob, seed.user("dave"))
    answer = seed.reply(wren, alice, "@bob Which river was that?")
    hidden = seed.reply(answer, carol, "Something a moderator hid.")
    seed.hide(hidden)
    deeper = answer
    for n in range(7):
        deeper = seed.reply(deeper, bob if n % 2 else alice, f"Deeper in the thread, {n}.")
    return {"thread": f"/post/{answer}", "thread-replying": f"/post/{wren}?reply=1"}


def structure_problems(page: Page) -> list[str]:
    """One h1 first, no skipped heading levels, and the four landmarks."""
    found = []
    levels = heading_levels(page)
    if levels.count(1) != 1 or levels[0] != 1:
        found.append(f"headings should start with exactly one h1: {levels}")
    found += [f"heading level jumps from h{a} to h{b}" for a, b in pairwise(levels) if b > a + 1]
    missing = {"banner", "navigation", "main", "contentinfo"} - landmarks(page)
    if missing:
        found.append(f"missing landmarks: {sorted(missing)}")
    return found


def review(page: Page, name: str, url: str, status: int = 200) -> list[str]:
    """Open ``url``, screenshot it and return what is wrong with it."""
    response = page.goto(url)
    found = [] if response.status == status else [f"status {response.status}"]
    found += axe_violations(page)
    found += structure_problems(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        found.append(f"page is {width}px wide: it scrolls sideways")
    screenshot(page, name)
    return [f"{name}: {problem}" for problem in found]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_main_pages_pass_axe_and_fit(new_context, seed, viewport, scheme):
    threads = seed_world(seed)
    found = []
    visitor = new_context(viewport=viewport, color_scheme=scheme).new_page()
    for name, url in ANONYMOUS_PAGES.items():
        found += review(visitor, name, url)
    visitor.get_by_role("button", name="Register").click()  # an empty form: every error shows
    expect(visitor.get_by_text("This field is required.").first).to_be_visible()
    found += axe_violations(visitor)
    screenshot(visitor, "register-errors")

    member = new_context(viewport=viewport, color_scheme=scheme).new_page()
    log_in(member, "alice")
    for name, url in {**MEMBER_PAGES, **threads}.items():
        found += review(member, name, url, status=404 if name == "not-found" else 200)
    member.goto("/")
    member.get_by_label("Say something").fill("Flash messages must pass too.")
    member.get_by_role("button", name="Post", exact=True).click()
    expect(member.get_by_text("Your post is live!")).to_be_visible()
    found += [f"home-flash: {problem}" for problem in axe_violations(member)]
    screenshot(member, "home-flash")
    assert found == []


def seed_staff_world(seed) -> dict[str, str]:
    """seed_world plus a moderator, an admin, an open report and audit entries.

    Returns the staff pages to review, by name.
    """
    seed_world(seed)
    mod = seed.user("mia", about_me="Keeps the peace.")
    admin = seed.user("ada")
    dan = seed.user("dan")
    seed.grant(mod, "moderator", "volunteered at the meetup")
    seed.grant(admin, "admin", "runs the server")
    [post] = seed.posts(dan, ["Buy cheap watches at a site I will not name!"], timedelta(hours=1))
    report = seed.report(post, reporter_id=1, reason="Spam: the same advert every hour.\nTwice.")
    seed.suspend(seed.user("a_spammer_with_a_name_of_32_char"))
    return {
        "moderation-queue": "/moderation/",
        "moderation-reported-post": f"/post/{post}",
        "moderation-hide": f"/moderation/post/{post}/hide?next=/moderation/",
        "moderation-suspend": "/moderation/user/dan/suspend",
        "moderation-dismiss": f"/moderation/report/{report}/dismiss",
        "moderation-suspended": "/moderation/suspended",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_pages_pass_axe_and_fit(new_context, seed, viewport, scheme):
    """The moderation pages (as a moderator) and the admin pages (as an admin), filled in."""
    moderation_pages = seed_staff_world(seed)
    found = []
    moderator = new_context(viewport=viewport, color_scheme=scheme).new_page()
    log_in(moderator, "mia")
    for name, url in moderation_pages.items():
        found += review(moderator, name, url)
    moderator.goto(moderation_pages["moderation-hide"])
    moderator.get_by_role("button", name="Hide post").click()  # no reason given
    expect(moderator.get_by_text("Please give a reason.")).to_be_visible()
    found += [f"moderation-hide-errors: {problem}" for problem in axe_violations(moderator)]
    screenshot(moderator, "moderation-hide-errors")
    moderator.get_by_label("Reason (kept in the audit log)").fill("Spam, reported twice.")
    moderator.get_by_role("button", name="Hide post").click()
    expect(moderator.get_by_text("The post is hidden")).to_be_visible()

    admin = new_context(viewport=viewport, color_scheme=scheme).new_page()
    log_in(admin, "ada")
    found += review(admin, "admin-roles", "/admin/")
    admin.get_by_label("Username", exact=True).fill("nobody")
    admin.get_by_role("button", name="Grant role").click()
    expect(admin.get_by_text("There is no user called nobody.")).to_be_visible()
    found += [f"admin-roles-errors: {problem}" for problem in axe_violations(admin)]
    screenshot(admin, "admin-roles-errors")
    # Enter in a field submits with the form's first button: that must grant, never revoke.
    admin.get_by_label("Role", exact=True).select_option("Moderator")
    admin.get_by_label("Reason (kept in the audit log)").fill("Helps out at weekends.")
    admin.get_by_label("Username", exact=True).fill("dan")
    admin.get_by_label("Username", exact=True).press("Enter")
    expect(admin.get_by_text("dan is now moderator.")).to_be_visible()
    found += review(admin, "admin-audit", "/admin/audit")
    expect(admin.get_by_text("Spam, reported twice.")).to_be_visible()
    assert found == []


def page_kind(url: str, usernames: set[str]) -> tuple[str, ...]:
    """What makes two URLs the same page: the path, with usernames and ids taken out."""
    path = urlsplit(url).path.strip("/").split("/")
    return tuple(
        "<user>" if part in usernames else "<id>" if part.isdigit() else part for part in path
    )


def crawl(page: Page, start: str, usernames: set[str]) -> tuple[set, list[str]]:
    """Visit every kind of HTML page reachable by links from ``start``; review each once."""
    origin = start[: start.index("/", len("http://"))]
    queue, seen, found = [start], set(), []
    while queue and len(seen) < MAX_CRAWLED_PAGES:
        url = queue.pop(0)
        kind = page_kind(url, usernames)
        if kind in seen:
            continue
        seen.add(kind)
        # Only HTML pages (a data export, say, is a download).
        if "text/html" not in page.request.head(url).headers.get("content-type", ""):
            continue
        name = "-".join(kind).replace("<user>", "someone").replace("<id>", "n") or "home"
        found += review(page, f"crawled-{name}", url)
        links = page.eval_on_selector_all("a[href]", "(links) => links.map((a) => a.href)")
        queue += [link.split("#")[0] for link in links if link.startswith(origin)]
    return seen, found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_reachable_by_links_passes_axe(new_context, seed, live_server, scheme):
    """Follow every link a visitor and a member can see, so pages added later are checked too."""
    seed_world(seed)
    page = new_context(color_scheme=scheme).new_page()
    usernames = {"alice", "bob", "carol"}
    seen, found = crawl(page, f"{live_server}/auth/login", usernames)
    assert {("auth", "login"), ("auth", "register")} <= seen
    log_in(page, "alice")
    seen, more = crawl(page, f"{live_server}/", usernames)
    assert {("",), ("explore",), ("user", "<user>"), ("edit_profile",)} <= seen
    assert found + more == []


def test_dark_mode_follows_the_system_setting(new_context, seed):
    def background(scheme: str) -> list[int]:
        page = new_context(color_scheme=scheme).new_page()
        page.goto("/auth/login")
        colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
        return [int(part) for part in colour[colour.index("(") + 1 : -1].split(",")[:3]]

    assert sum(background("light")) > 600
    assert sum(background("dark")) < 150


def focus_ring(page: Page) -> str:
    """A description of the focused element's outline (empty if it shows none)."""
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            const width = parseFloat(style.outlineWidth);
            return style.outlineStyle !== 'none' && width >= 2 ? `${width}px ${style.outlineStyle}`
                : '';
        }"""
    )


def next_new_stop(page: Page) -> str | None:
    """Press Tab; describe the newly focused element, or None once focus comes round again."""
    page.keyboard.press("Tab")
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            window.seenStops ??= new Set();
            if (e === document.body || window.seenStops.has(e)) return null;
            window.seenStops.add(e);
            return `${e.tagName} ${e.id || e.textContent.trim() || e.value || ''}`;
        }"""
    )


def test_keyboard_alone_logs_in_posts_and_shows_focus(page: Page, seed):
    alice = seed.user("alice")
    seed.posts(alice, ["Older chirp"] * 4, timedelta(hours=1))
    page.goto("/auth/login")
    # The username field has the focus on arrival; Tab moves to the password; Enter submits.
    expect(page.get_by_label("Username or email")).to_be_focused()
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hi, alice!")).to_be_visible()
    # Chromium focuses a fragment's target again when the page finishes loading: a skip link
    # followed before then (chirp.js still on its way) would pull the focus back to <main>.
    page.wait_for_load_state()

    # The first Tab reaches the skip link, which shows itself and jumps past the navigation.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#content$"))
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Say something")).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your post is live!")).to_be_visible()

    # Every stop of the tab order, all the way round, shows a visible focus ring.
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    screenshot(page, "focus-ring")
    page.goto("/")
    stops = []
    while (stop := next_new_stop(page)) and len(stops) < 60:
        stops.append(stop)
        assert focus_ring(page), f"no visible focus on {stop}"
    assert any("Older" in stop for stop in stops), " | ".join(stops)  # reached the pager


def nav_tab_stops(page: Page) -> list[dict]:
    """Tab from the top of the page through the main navigation: each stop's name and box."""
    page.keyboard.press("Tab")  # the skip link
    stops = []
    while len(stops) < 20:
        page.keyboard.press("Tab")
        stop = page.evaluate(
            """() => {
                const e = document.activeElement;
                const nav = e.closest('nav[aria-label=Main]');
                if (!nav) return null;
                // Where it sits in the row, however far the row has scrolled sideways (on a
                // phone, staff's longer row scrolls to keep the focused link in view).
                const box = e.getBoundingClientRect();
                return {name: e.textContent.trim(), left: box.left + nav.scrollLeft,
                        right: box.right + nav.scrollLeft, middle: (box.top + box.bottom) / 2};
            }"""
        )
        if stop is None:
            return stops
        stops.append(stop)
    return stops


def reads_before(first: dict, second: dict) -> bool:
    """True if ``first`` comes before ``second`` reading row by row, left to right."""
    same_row = abs(first["middle"] - second["middle"]) < 8
    return second["left"] >= first["right"] if same_row else second["middle"] > first["middle"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    ("username", "places"),
    [
        ("alice", ["Home", "Explore", "Notifications"]),
        ("ada", ["Home", "Explore", "Notifications", "Moderation", "Admin"]),
    ],
    ids=["member", "admin"],
)
def test_nav_tab_order_is_the_visual_order(new_context, seed, viewport, username, places):
    """Keyboard users meet the navigation's links in the order sighted users read them."""
    seed.grant(seed.user("ada"), "admin")
    seed.user("alice")
    page = new_context(viewport=viewport).new_page()
    log_in(page, username)
    stops = nav_tab_stops(page)
    names = [stop["name"] for stop in stops]
    assert names == ["Chirp", *places, username, "Settings", "Log out"]
    assert all(reads_before(a, b) for a, b in pairwise(stops)), stops
    screenshot(page, f"nav-{username}")


def test_every_form_field_has_a_label(page: Page, seed):
    seed.user("alice")
    unlabelled = []
    for url in ("/auth/login", "/auth/register", "/", "/edit_profile"):
        if url == "/":
            log_in(page, "alice")
        page.goto(url)
        unlabelled += page.evaluate(
            """(url) => [...document.querySelectorAll(
                    'input:not([type=hidden]):not([type=submit]), textarea, select')]
                .filter((field) => field.labels.length === 0
                    || [...field.labels].every((label) => !label.textContent.trim()))
                .map((field) => `${url} ${field.name}`)""",
            url,
        )
    assert unlabelled == []


def test_longest_names_and_unbroken_words_fit_a_phone(new_context, seed):
    """A 32-character username, a 254-character email address and words with no space never
    make a page scroll sideways."""
    longest = "w" * 32  # the longest username allowed, in the widest letter
    alice = seed.user("alice")
    long_id = seed.user(longest, about_me="x" * ABOUT_ME_MAX_LENGTH)
    mod = seed.user("mia")
    seed.grant(mod, "moderator")
    seed.grant(long_id, "admin")  # listed among the staff, named in the audit log
    [post] = seed.posts(long_id, ["W" * POST_MAX_LENGTH])
    seed.follow(alice, long_id)
    seed.follow(long_id, alice)
    seed.report(post, reporter_id=long_id, reason="z" * 200)
    with seed.app.app_context():
        user = db.session.get(User, long_id)
        user.email = "w" * 64 + "@" + "a-long-subdomain-name." * 8 + "example.com"
        user.email_confirmed_at = None  # settings and the home page then show the address too
        confirm = f"/account/confirm/{email_confirmation_token(user)}"
        db.session.commit()
    pages = {
        longest: [
            "/",
            "/explore",
            f"/user/{longest}",
            f"/post/{post}",
            "/edit_profile",
            "/account/",
            "/account/email",
            "/account/delete",
            confirm,
            "/admin/",
            "/admin/audit",
        ],
        "mia": ["/moderation/", f"/post/{post}", f"/user/{longest}", "/user/alice/followers"],
    }
    too_wide = []
    for username, urls in pages.items():
        page = new_context(viewport=PHONE).new_page()
        log_in(page, username)
        for url in urls:
            page.goto(url)
            page.wait_for_load_state()  # measured with the stylesheet applied
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append(f"{url} as {username}: {width}px")
    assert too_wide == []


def test_profile_buttons_keep_apart_when_they_wrap(new_context, seed):
    """At phone width the profile's two buttons sit on two rows, with room between them."""
    seed.user("alice")
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "alice")
    page.goto("/user/alice")
    page.wait_for_load_state()  # laid out with the stylesheet
    edit = page.get_by_role("link", name="Edit your profile").bounding_box()
    settings = page.get_by_role("link", name="Account settings").bounding_box()
    assert settings["y"] - (edit["y"] + edit["height"]) >= 8


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two computed CSS colours (``rgb(r, g, b)``)."""

    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(first), luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


FIELDS = "main :is(input:not([type=hidden], [type=submit], [type=checkbox]), textarea, select)"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_fields_stand_out_from_their_card(new_context, seed, scheme):
    """A field's edge is at least 3:1 against the card around it (WCAG 1.4.11), so people can
    see where to type; axe does not check this."""
    seed.user("alice")
    page = new_context(color_scheme=scheme).new_page()
    log_in(page, "alice")
    faint = []
    for url in ("/", "/edit_profile", "/account/password", "/auth/login"):
        if url == "/auth/login":
            page.get_by_role("button", name="Log out").click()
        page.goto(url)
        page.wait_for_load_state()
        faint += page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)]
                .map((field) => [field.name, getComputedStyle(field).borderTopColor,
                                 getComputedStyle(field.closest('.card')).backgroundColor])""",
            FIELDS,
        )
    too_faint = [
        f"{name}: {edge} on {card}" for name, edge, card in faint if contrast(edge, card) < 3
    ]
    assert faint
    assert too_faint == []


def test_arrows_are_not_read_out_in_link_names(page: Page, seed):
    """Screen readers hear "Older" and "Back to alice", not "Older right arrow" or "left arrow
    alice" (the arrows are hidden from them)."""
    alice = seed.user("alice")
    [post, *_] = seed.posts(alice, [f"Chirp {n}" for n in range(4)])  # 3 a page: a pager
    log_in(page, "alice")
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.get_by_role("link", name="Older", exact=True)).to_be_visible()
    pager.get_by_role("link", name="Older", exact=True).click()
    expect(pager.get_by_role("link", name="Newer", exact=True)).to_be_visible()
    for url in ("/user/alice/followers", f"/post/{post}"):
        page.goto(url)
        expect(page.get_by_role("link", name="Back to alice", exact=True)).to_be_visible()


def test_screen_readers_hear_exact_post_times_and_flash_messages(page: Page, seed):
    erin = seed.user("erin")
    seed.posts(erin, ["Out on the marsh."], ago=timedelta(minutes=5))
    log_in(page, "erin")
    exact = r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC"
    permalink = page.locator("article.post .post-permalink")
    expect(permalink).to_have_accessible_name(re.compile(rf"^\d+ minutes ago \({exact}\)$"))
    expect(permalink.locator("time")).to_have_attribute("title", re.compile(rf"^{exact}$"))

    # A message shown on arrival is a live region, and still there once chirp.js re-announced it.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You have been logged out.")
    expect(page.get_by_role("status")).to_be_visible()


# Runs before chirp.js's own DOMContentLoaded handler (init scripts come first), then notes what
# the eye sees in each flash message every time its content changes (and how many times, on
# <html>, for the test to wait on: the page's CSP forbids the eval that wait_for_function needs).
RECORD_FLASH_TEXT = """
window.flashTexts = [];
document.addEventListener("DOMContentLoaded", () => {
  const flash = document.querySelector(".flash");
  if (!flash) return;
  new MutationObserver(() => {
    window.flashTexts.push(flash.innerText);
    document.documentElement.dataset.flashChanges = window.flashTexts.length;
  }).observe(flash, {childList: true, characterData: true, subtree: true});
});
"""


def test_a_flash_message_never_shows_an_empty_box_while_it_is_re_announced(page: Page, seed):
    seed.user("erin")
    log_in(page, "erin")
    page.add_init_script(RECORD_FLASH_TEXT)
    page.get_by_role("button", name="Log out").click()
    # chirp.js takes the text out of the live region and puts it back a moment later.
    expect(page.locator("html")).to_have_attribute("data-flash-changes", "2")
    flash = page.get_by_role("status")
    expect(flash.locator("[aria-hidden]")).to_have_count(0)
    expect(flash).to_have_text("You have been logged out.")
    assert set(page.evaluate("window.flashTexts")) == {"You have been logged out."}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_long_username_in_the_header_is_cut_short_not_wrapped(new_context, seed, viewport):
    """The longest username leaves Settings and Log out beside it (on a desktop, the whole
    navigation stays on one row), and the link to the profile still has the full name."""
    longest = "w" * 32
    seed.user(longest)
    page = new_context(viewport=viewport).new_page()
    log_in(page, longest)
    page.wait_for_load_state()  # laid out with the stylesheet
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=longest, exact=True)).to_be_visible()
    stops = nav_tab_stops(page)
    row = stops if viewport == DESKTOP else stops[-3:]  # on a phone: you, Settings, Log out
    assert [stop["name"] for stop in row][-3:] == [longest, "Settings", "Log out"]
    assert all(abs(stop["middle"] - row[0]["middle"]) < 8 for stop in row), stops
    screenshot(page, "nav-long-username")


def test_a_relative_time_is_never_split_across_lines(new_context, seed):
    """Beside the longest username, or in the audit log's narrow first column, "2 hours ago"
    moves to the next line whole."""
    longest = "w" * 32
    admin = seed.user(longest)
    seed.grant(admin, "admin")
    seed.posts(admin, ["Late again."], ago=timedelta(hours=2))
    split = []
    for viewport, url in ((PHONE, "/explore"), (DESKTOP, "/explore"), (DESKTOP, "/admin/audit")):
        page = new_context(viewport=viewport).new_page()
        log_in(page, longest)
        page.goto(url)
        page.wait_for_load_state()  # laid out with the stylesheet
        expect(page.locator(".time-ago").first).to_be_visible()
        lines = page.locator(".time-ago").evaluate_all(
            "(times) => times.map((t) => [t.textContent, t.getClientRects().length])"
        )
        split += [f"{url} at {viewport['width']}px: {text!r}" for text, n in lines if n != 1]
    assert split == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_button_named_after_the_longest_username_stays_in_its_card(new_context, seed, viewport):
    """ "Suspend wwww…" wraps inside the confirmation card, Cancel beside or above it, instead
    of running out of the card (leftwards, where no scrollbar would even show it)."""
    longest = "w" * 32
    seed.user(longest)
    seed.grant(seed.user("mia"), "moderator")
    page = new_context(viewport=viewport).new_page()
    log_in(page, "mia")
    page.goto(f"/moderation/user/{longest}/suspend")
    page.wait_for_load_state()  # laid out with the stylesheet
    card = page.locator("main .card").bounding_box()
    outside = []
    for control in (
        page.get_by_role("button", name=f"Suspend {longest}"),
        page.get_by_role("link", name="Cancel"),
    ):
        box = control.bounding_box()
        if box["x"] < card["x"] or box["x"] + box["width"] > card["x"] + card["width"]:
            outside.append(f"{control}: {box} outside {card}")
    assert outside == []
    screenshot(page, "moderation-suspend-longest")
