"""Helpers the browser tests share: sizes, logging in, screenshots."""

from pathlib import Path

from playwright.sync_api import Page

from tests.conftest import PASSWORD

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
SCREENSHOTS = Path(__file__).parent / "screenshots"


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form and wait for the home page."""
    page.goto("/auth/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot named after the page, its width and its colour scheme."""
    page.wait_for_load_state()  # a page still loading its stylesheet would look broken
    width = page.viewport_size["width"]
    scheme = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    path = SCREENSHOTS / f"{name}-{width}px-{'dark' if scheme else 'light'}.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path
