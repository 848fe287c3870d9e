"""Accessibility checks run inside the browser: axe-core plus the page structure we promise."""

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

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
