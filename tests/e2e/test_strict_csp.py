"""The pages need no inline script or style: under a strict Content-Security-Policy nothing is
refused (the watch fails the test on any console error) and the script still runs."""

from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import axe_violations, log_in

STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def add_strict_csp(route: Route) -> None:
    """Serve the page as the server sent it, plus the strict policy."""
    if route.request.resource_type != "document":
        route.fallback()
        return
    response = route.fetch(max_redirects=0)
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": STRICT_CSP}
    )


def test_pages_work_under_a_strict_content_security_policy(page: Page, seed):
    alice = seed.user("alice")
    seed.posts(alice, ["One", "Two", "Three", "Four"])
    refused = []

    def note_refusal(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", note_refusal)
    page.route("**/*", add_strict_csp)
    log_in(page, "alice")
    page.get_by_label("Say something").fill("Scripts come from files only.")
    expect(page.locator("#post-counter")).to_have_text("111 characters left")
    for url in ("/explore", "/user/alice", "/user/alice/followers", "/edit_profile", "/nowhere"):
        response = page.goto(url)
        assert response.headers["content-security-policy"] == STRICT_CSP
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The accessibility checks keep working once the site sends such a policy itself.
    assert axe_violations(page) == []
    assert refused == []
