"""Helpers the browser tests share: sizes, logging in, screenshots, the watch on every page
(requests to other hosts, server and script errors) and the accessibility checks run inside
the browser (axe-core plus the page structure we promise)."""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page

from tests.helpers import PASSWORD

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


@dataclass
class PageProblems:
    """What went wrong while a test's pages were open; each list must stay empty."""

    foreign_requests: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        """Fail with everything recorded, if anything was."""
        found = {name: items for name, items in vars(self).items() if items}
        assert not found, f"problems while browsing: {found}"


def watch(context: BrowserContext, base_url: str, problems: PageProblems) -> None:
    """Record (and block) requests to other hosts, failed responses and script errors."""
    origin = urlsplit(base_url)[:2]

    def is_foreign(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in ("data", "blob", "about") and parts[:2] != origin

    def block(route) -> None:
        problems.foreign_requests.append(route.request.url)
        route.abort()

    def on_response(response) -> None:
        if response.status >= 500:
            problems.server_errors.append(f"{response.status} {response.url}")
        elif response.status >= 400 and not response.request.is_navigation_request():
            problems.failed_assets.append(f"{response.status} {response.url}")

    def on_console(message) -> None:
        # Chromium logs every 4xx page load as an error; on_response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.script_errors.append(message.text)

    def on_page(page: Page) -> None:
        page.on("pageerror", lambda error: problems.script_errors.append(str(error)))
        page.on("console", on_console)

    context.route(is_foreign, block)
    context.on("response", on_response)
    context.on("page", on_page)


AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
# axe rates these "moderate", but they are what screen-reader users navigate by: fail on them too.
STRUCTURE_RULES = {
    "heading-order",
    "landmark-one-main",
    "landmark-unique",
    "page-has-heading-one",
    "region",
    "bypass",
}


@cache
def axe_source() -> str:
    """The axe-core script that `.ci/setup` installed from the npm registry."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `bash .ci/setup` to install axe-core")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Serious or critical axe violations (and structural ones) on the page, one line each."""
    page.wait_for_load_state()  # styles applied: contrast is judged on the finished page
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools, so a strict Content-Security-Policy does not block it.
        page.evaluate(axe_source())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} -> "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in results["violations"]
        if rule["impact"] in FAILING_IMPACTS or rule["id"] in STRUCTURE_RULES
    ]


def heading_levels(page: Page) -> list[int]:
    """The levels of the page's visible headings, in document order."""
    return page.evaluate(
        """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
            .filter((h) => h.getClientRects().length > 0 || h.classList.contains('visually-hidden'))
            .map((h) => Number(h.tagName[1]))"""
    )


def landmarks(page: Page) -> set[str]:
    """ARIA landmark roles present on the page (from the HTML elements that imply them)."""
    return set(
        page.evaluate(
            """() => {
                const roles = {HEADER: 'banner', NAV: 'navigation', MAIN: 'main',
                               FOOTER: 'contentinfo'};
                return [...document.querySelectorAll('body > header, nav, main, body > footer')]
                    .map((el) => roles[el.tagName]);
            }"""
        )
    )
