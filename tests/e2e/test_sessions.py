"""The sessions list on the settings page, with real browsers: logging out another one there
ends it on that browser's next page."""

import re

from playwright.sync_api import expect

from tests.e2e.helpers import log_in, screenshot
from tests.helpers import FIREFOX_ON_WINDOWS


def test_log_out_another_browser_then_all_others_from_the_sessions_list(new_context, seed):
    seed.user("lena")
    laptop = new_context().new_page()  # Playwright's Chromium: "Chrome on Linux"
    phone = new_context(user_agent=FIREFOX_ON_WINDOWS).new_page()
    tablet = new_context().new_page()
    for page in (laptop, phone, tablet):
        log_in(page, "lena")

    laptop.goto("/account/")
    sessions = laptop.get_by_role("region", name="Where you are logged in")
    expect(sessions.get_by_role("listitem")).to_have_count(3)
    this_browser = sessions.get_by_role("listitem").filter(has_text="This browser")
    expect(this_browser).to_have_count(1)
    expect(this_browser).to_contain_text("Chrome on Linux")
    expect(this_browser.get_by_role("button")).to_have_count(0)  # the navigation logs out
    screenshot(laptop, "sessions")

    sessions.get_by_role("button", name=re.compile(r"^Log out Firefox on Windows")).click()
    expect(laptop.get_by_text("That session is logged out.")).to_be_visible()
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    expect(sessions).not_to_contain_text("Firefox on Windows")

    # The other browser still shows the page it had; its next one is the login page.
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Explore").click()
    expect(phone).to_have_url(re.compile(r"/auth/login\?next="))
    expect(phone.get_by_text("Please log in to see this page.")).to_be_visible()
    tablet.goto("/explore")
    expect(tablet.get_by_role("heading", name="Explore")).to_be_visible()

    sessions.get_by_role("button", name="Log out all other sessions").click()
    expect(laptop.get_by_text("Your other sessions are logged out.")).to_be_visible()
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    expect(sessions.get_by_role("button", name="Log out all other sessions")).to_have_count(0)
    tablet.reload()
    expect(tablet).to_have_url(re.compile(r"/auth/login\?next="))
    laptop.goto("/explore")
    expect(laptop.get_by_role("heading", name="Explore")).to_be_visible()
