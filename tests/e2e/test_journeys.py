"""What people do on Chirp, done in a real browser against the live server (CSRF on)."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.e2e.helpers import DESKTOP, PHONE, PageProblems, log_in, screenshot, watch
from tests.helpers import PASSWORD


def nav(page: Page):
    """The main navigation bar."""
    return page.get_by_role("navigation", name="Main")


def test_register_log_out_and_log_back_in_after_a_wrong_password(page: Page, seed):
    page.goto("/")
    expect(page).to_have_url("/auth/login?next=%2F")
    expect(page.get_by_text("Please log in to see this page.")).to_be_visible()
    nav(page).get_by_role("link", name="Register").click()

    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()

    # Registering logs in.
    expect(page.get_by_text("Welcome to Chirp! You are logged in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Hi, carol!")).to_be_visible()
    expect(nav(page).get_by_role("link", name="carol")).to_be_visible()

    nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(nav(page).get_by_role("link", name="carol")).to_have_count(0)

    page.get_by_label("Username or email").fill("carol@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid username or password.")).to_be_visible()
    expect(page.get_by_label("Username or email")).to_have_value("carol@example.com")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()
    screenshot(page, "login-error")

    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hi, carol!")).to_be_visible()


def test_post_with_live_counter_and_a_too_long_post_keeps_its_text(page: Page, seed):
    seed.user("dave")
    log_in(page, "dave")
    box = page.get_by_label("Say something")
    counter = page.locator("#post-counter")
    expect(counter).to_have_text("140 characters left")

    too_long = "A cheerful chirp that goes on and on. " * 4  # 151 characters once trimmed
    box.fill(too_long)
    expect(counter).to_have_text("11 characters too many")
    expect(counter).to_have_class("counter counter-over")
    # Screen readers hear that once, through a live region, not the count at every key press.
    expect(page.locator("[aria-live=polite]")).to_have_text("11 characters too many")
    expect(box).to_have_attribute("aria-describedby", "post-counter")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("Posts are at most 140 characters.")).to_be_visible()
    expect(box).to_have_value(too_long.strip())
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "post-error post-counter")
    screenshot(page, "post-too-long")

    box.fill("My first chirp!")
    expect(counter).to_have_text("125 characters left")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("Your post is live!")).to_be_visible()
    post = page.locator("article.post").first
    expect(post).to_contain_text("My first chirp!")
    expect(post.locator("time .time-ago")).to_have_text("just now")
    expect(box).to_have_value("")

    # Exactly 140 by the counter (an emoji is one character, a line break one) is accepted.
    full = "\U0001f426" * 60 + "\n" * 20 + "tweet" * 12
    box.fill(full)
    expect(counter).to_have_text("0 characters left")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("Your post is live!")).to_be_visible()
    expect(page.locator("article.post .post-body").first).to_have_text(full)


def test_follow_from_profile_see_their_posts_then_unfollow(page: Page, seed):
    erin = seed.user("erin", about_me="Birdwatcher.")
    seed.posts(erin, ["Saw a heron today.", "Two kingfishers!"], ago=timedelta(hours=3))
    seed.user("frank")
    log_in(page, "frank")
    expect(page.get_by_text("You aren't following anyone yet")).to_be_visible()
    screenshot(page, "home-empty")

    page.get_by_role("main").get_by_role("link", name="explore").click()
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    page.locator("article.post").first.get_by_role("link", name="erin", exact=True).click()

    expect(page.get_by_role("heading", name="erin")).to_be_visible()
    expect(page.get_by_text("Birdwatcher.")).to_be_visible()
    expect(page.locator(".counts")).to_contain_text("0 followers")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_text("You are following erin.")).to_be_visible()
    expect(page.locator(".counts")).to_contain_text("1 follower")
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    nav(page).get_by_role("link", name="Home").click()
    posts = page.locator("article.post")
    expect(posts).to_have_count(2)
    expect(posts.first).to_contain_text("Two kingfishers!")
    expect(posts.first.locator("time .time-ago")).to_have_text("3 hours ago")
    expect(posts.nth(1)).to_contain_text("Saw a heron today.")
    screenshot(page, "home-following")

    posts.first.get_by_role("link", name="erin", exact=True).click()
    page.get_by_role("button", name="Unfollow").click()
    expect(page.get_by_text("You are not following erin.")).to_be_visible()
    nav(page).get_by_role("link", name="Home").click()
    expect(page.locator("article.post")).to_have_count(0)
    expect(page.get_by_text("You aren't following anyone yet")).to_be_visible()


def test_find_someone_by_name_and_follow_them_from_the_results(page: Page, seed):
    seed.user("dave")
    for name in ["carol", "carlos", "cara"]:
        seed.user(name)
    log_in(page, "dave")
    nav(page).get_by_role("link", name="Explore").click()
    search = page.get_by_role("search")
    search.get_by_label("Find people by username").fill("@CAR")
    search.get_by_label("Find people by username").press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=%40CAR$"))
    expect(page.get_by_label("Find people by username")).to_have_value("CAR")
    people = page.get_by_role("main").get_by_role("listitem").get_by_role("link")
    expect(people).to_have_text(["cara", "carlos", "carol"])
    screenshot(page, "search-results")
    page.get_by_role("button", name="Follow carol").click()

    expect(page.get_by_text("You are following carol.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=%40CAR$"))
    expect(page.get_by_role("button", name="Unfollow carol")).to_be_visible()

    page.get_by_label("Find people by username").fill("car ol")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Usernames have only letters, digits and underscores")).to_be_visible()
    expect(page.get_by_label("Find people by username")).to_have_value("car ol")
    expect(page.get_by_label("Find people by username")).to_be_focused()


def test_edit_profile(page: Page, seed):
    seed.user("gina")
    seed.user("taken")
    log_in(page, "gina")
    nav(page).get_by_role("link", name="gina").click()
    page.get_by_role("link", name="Edit your profile").click()

    page.get_by_label("Username").fill("taken")
    page.get_by_label("About me").fill("Coffee, code and crows.")
    expect(page.locator("#about-counter")).to_have_text("117 characters left")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("That username is taken. Please choose another.")).to_be_visible()
    expect(page.get_by_label("About me")).to_have_value("Coffee, code and crows.")

    page.get_by_label("Username").fill("gina_b")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your changes have been saved.")).to_be_visible()
    expect(page).to_have_url("/user/gina_b")
    expect(page.get_by_role("heading", name="gina_b")).to_be_visible()
    expect(page.get_by_text("Coffee, code and crows.")).to_be_visible()
    expect(nav(page).get_by_role("link", name="gina_b")).to_be_visible()


def test_page_through_an_older_timeline(page: Page, seed):
    # The test configuration shows 3 posts a page; 7 posts make pages of 3, 3 and 1.
    hana = seed.user("hana")
    seed.posts(hana, [f"Chirp number {n}" for n in range(1, 8)], ago=timedelta(days=2))
    log_in(page, "hana")
    posts = page.locator("article.post .post-body")
    pager = page.get_by_role("navigation", name="Pages")

    expect(posts).to_have_text(["Chirp number 7", "Chirp number 6", "Chirp number 5"])
    expect(pager.get_by_role("link", name="Newer")).to_have_count(0)
    pager.get_by_role("link", name="Older").click()
    expect(posts).to_have_text(["Chirp number 4", "Chirp number 3", "Chirp number 2"])
    screenshot(page, "home-page-2")
    pager.get_by_role("link", name="Older").click()
    expect(posts).to_have_text(["Chirp number 1"])
    expect(pager.get_by_role("link", name="Older")).to_have_count(0)
    expect(page.locator("article.post time .time-ago").first).to_have_text("2 days ago")

    pager.get_by_role("link", name="Newer").click()
    expect(posts).to_have_text(["Chirp number 4", "Chirp number 3", "Chirp number 2"])
    pager.get_by_role("link", name="Newer").click()
    expect(posts).to_have_text(["Chirp number 7", "Chirp number 6", "Chirp number 5"])


def test_missing_pages_show_a_404_in_the_site_layout(page: Page, seed):
    seed.user("ivan")
    log_in(page, "ivan")
    response = page.goto("/user/nobody_here")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("There is no user called nobody_here.")).to_be_visible()
    expect(nav(page).get_by_role("link", name="ivan")).to_be_visible()
    screenshot(page, "not-found")

    response = page.goto("/no/such/page")
    assert response.status == 404
    expect(page.get_by_text("That page does not exist.")).to_be_visible()
    page.get_by_role("link", name="Go to the home page").click()
    expect(page.get_by_role("heading", name="Hi, ivan!")).to_be_visible()


def test_the_site_works_at_phone_width(new_context, seed):
    judy = seed.user("judy")
    seed.posts(judy, ["A chirp with a long unbroken word: " + "x" * 90])
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "judy")
    # Everything fits: no sideways scrolling, and the whole navigation bar is on screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for name in ("Home", "Explore", "judy"):
        box = nav(page).get_by_role("link", name=name).bounding_box()
        assert box["x"] >= 0, name
        assert box["x"] + box["width"] <= PHONE["width"], name
    page.get_by_label("Say something").fill("Posting from my phone.")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("article.post").first).to_contain_text("Posting from my phone.")
    page.wait_for_load_state()  # the stylesheet too, before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_posting_works_without_javascript(new_context, seed):
    seed.user("kim")
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "kim")
    expect(page.locator("#post-counter")).to_have_text("Up to 140 characters")
    page.get_by_label("Say something").fill("No scripts needed.")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("Your post is live!")).to_be_visible()
    expect(page.locator("article.post").first).to_contain_text("No scripts needed.")


def test_relative_times_move_on_while_the_page_stays_open(page: Page, seed):
    lee = seed.user("lee")
    seed.posts(lee, ["Fresh off the press."])
    log_in(page, "lee")
    # A visitor whose computer clock is a day behind still reads the server's time.
    page.clock.install(time=datetime.now(UTC) - timedelta(days=1))
    page.goto("/")
    when = page.locator("article.post time .time-ago")
    expect(when).to_have_text("just now")
    page.clock.fast_forward("01:00:30")
    expect(when).to_have_text("1 hour ago")
    page.clock.fast_forward("25:00:00")
    expect(when).to_have_text("1 day ago")
    # The exact time read after the words stays as it was.
    expect(page.locator("article.post time")).to_have_text(re.compile(r"^1 day ago \(.* UTC\)$"))


def test_every_page_names_the_site_and_has_its_favicon(page: Page, seed):
    page.goto("/auth/register")
    expect(page).to_have_title("Register · Chirp")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(icon)
    assert response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()


def test_a_form_sent_back_with_errors_puts_the_cursor_on_the_first_one(page: Page, seed):
    page.goto("/auth/register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    expect(page.get_by_label("Username")).to_be_focused()

    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    expect(page.get_by_label("Username")).to_have_value("carol")


def test_a_field_chosen_before_the_script_ran_keeps_the_cursor(page: Page, seed):
    """Someone who clicks into a field while chirp.js is still on its way is not moved back."""
    page.goto("/auth/register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_label("Username")).to_be_focused()
    # As the page is parsed, and so before its deferred script runs, the visitor picks a field.
    page.add_init_script(
        """new MutationObserver((changes, observer) => {
            const email = document.getElementById("email");
            if (email) { email.focus(); observer.disconnect(); window.fieldChosen = true; }
        }).observe(document, {childList: true, subtree: true});"""
    )
    page.get_by_role("button", name="Register").click()
    # The page sent back (only it has the flag) has loaded: chirp.js has had its say.
    page.wait_for_function("() => window.fieldChosen && document.readyState === 'complete'")
    expect(page.get_by_label("Email")).to_be_focused()


def test_a_form_is_sent_once_however_often_it_is_submitted(page: Page, seed):
    """A double click must not send the password change twice: the second request would carry
    the session the first one ended, and its answer would log the browser out."""
    seed.user("hana")
    log_in(page, "hana")
    page.goto("/account/password")
    # A listener on window hears each submit after chirp.js (on document) has, records whether
    # chirp.js let it through, and keeps the page from leaving.
    outcomes = page.evaluate(
        """() => {
            const seen = [];
            window.addEventListener("submit", (event) => {
                seen.push(event.defaultPrevented ? "held back" : "sent");
                event.preventDefault();
            });
            const form = document.querySelector("main form[method=post]");
            form.requestSubmit();
            form.requestSubmit();
            window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
            form.requestSubmit();
            return seen;
        }"""
    )
    # Coming back to the page (the back button) lets the form be sent again.
    assert outcomes == ["sent", "held back", "sent"]


def test_a_newcomer_registers_confirms_from_the_outbox_and_posts(
    browser, development_server, problems: PageProblems
):
    """From a fresh database in debug mode without a mail server, as after the quick start."""
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(base_url=development_server, viewport=viewport)
        watch(context, development_server, problems)
        page = context.new_page()
        name = "newcomer" if viewport == DESKTOP else "newcomer_phone"
        page.goto("/auth/register")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Email").fill(f"{name}@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat password").fill(PASSWORD)
        page.get_by_role("button", name="Register").click()

        # Logged in at once, with the confirm-your-address notice and a way to the email.
        expect(page.get_by_role("heading", name=f"Hi, {name}!")).to_be_visible()
        notice = page.locator(".flash").filter(has_text=f"the link we sent to {name}@")
        expect(notice.get_by_role("status")).to_be_visible()
        expect(page.get_by_text("Confirm your email address to start posting")).to_be_visible()
        screenshot(page, "newcomer-registered")
        notice.get_by_role("link", name="Open the development outbox").click()

        expect(page.get_by_role("heading", name="Development outbox")).to_be_visible()
        email = page.get_by_role("article").first
        expect(email.get_by_role("heading", name="Confirm your email address")).to_be_visible()
        expect(email).to_contain_text(f"To {name}@example.com")
        screenshot(page, "dev-outbox")
        email.get_by_role("link", name=re.compile("account.confirm")).click()

        page.get_by_role("button", name=re.compile("Confirm")).click()
        expect(page.get_by_text("your email address is confirmed")).to_be_visible()
        page.get_by_label("Say something").fill(f"Hello from {name}, a day-one Chirper.")
        page.get_by_role("button", name="Post", exact=True).click()
        expect(page.get_by_text("Your post is live!")).to_be_visible()
        expect(page.locator(".post-body", has_text=f"Hello from {name}")).to_be_visible()
        screenshot(page, "newcomer-first-post")
        context.close()
    problems.assert_none()


def test_a_conversation_from_reply_to_a_deleted_parent(new_context, seed):
    alice, bob, carol = (seed.user(name) for name in ("alice", "bob", "carol"))
    seed.follow(bob, alice)
    seed.follow(carol, alice)
    seed.follow(carol, bob)
    a = new_context().new_page()
    log_in(a, "alice")
    a.get_by_label("Say something").fill("Who has seen a kingfisher?")
    a.get_by_role("button", name="Post", exact=True).click()
    expect(a.get_by_text("Your post is live!")).to_be_visible()

    # B replies from the card on their home timeline: the post's page opens, ready to write.
    b = new_context().new_page()
    log_in(b, "bob")
    card = b.locator("article.post", has_text="Who has seen a kingfisher?")
    card.get_by_role("button", name="Reply to alice").click()
    # Typing starts once the page's script has run (a busy machine can render the page, and
    # focus the box, before it does): it is what puts the cursor after the name.
    b.wait_for_load_state("load")
    box = b.get_by_label("Your reply")
    expect(box).to_be_focused()
    expect(box).to_have_value("@alice ")
    box.press_sequentially("me, by the river")  # the cursor is after the name
    b.get_by_role("button", name="Reply", exact=True).click()
    expect(b.get_by_text("Your reply is live!")).to_be_visible()
    replies = b.get_by_role("region", name="Replies")
    expect(replies.get_by_text("@alice me, by the river")).to_be_visible()

    # A sees the count on her card and the reply in the thread.
    a.goto("/")
    card = a.locator("article.post", has_text="Who has seen a kingfisher?")
    expect(card.get_by_role("button", name="Reply to alice, 1 reply")).to_be_visible()
    card.locator("a.post-permalink").click()
    expect(a.get_by_role("region", name="Replies").get_by_text("me, by the river")).to_be_visible()
    thread_url = a.url

    # C follows both: the reply is on C's home, saying whom it answers.
    c = new_context().new_page()
    log_in(c, "carol")
    reply_card = c.locator("article.post", has_text="me, by the river")
    expect(reply_card).to_be_visible()
    expect(reply_card.get_by_text("Replying to")).to_be_visible()
    reply_url = reply_card.locator("a.post-permalink").get_attribute("href")

    # A deletes the post; the reply's page still shows the reply, the post as deleted.
    a.goto(thread_url + "/delete")
    a.get_by_role("button", name="Delete this post").click()
    expect(a.get_by_text("Your post has been deleted.")).to_be_visible()
    c.goto(reply_url)
    expect(c.get_by_text("This post was deleted.")).to_be_visible()
    expect(c.locator(".thread-focus").get_by_text("me, by the river")).to_be_visible()
    expect(c.get_by_text("Replying to a deleted post")).to_be_visible()
    screenshot(c, "thread-deleted-parent")
