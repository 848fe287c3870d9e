"""The watch every browser test relies on really catches what it promises to catch."""

from tests.e2e.helpers import PageProblems, watch


def test_requests_to_other_hosts_are_caught_and_blocked(browser, live_server):
    problems = PageProblems()
    # The site's Content-Security-Policy would stop these requests first; this test is about
    # the watch, the net under that policy, so the browser is told to ignore the policy.
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    watch(context, live_server, problems)
    page = context.new_page()
    page.goto("/auth/login")
    # What a careless template change would do: pull a stylesheet and an image from elsewhere.
    page.evaluate(
        """() => {
            const link = Object.assign(document.createElement('link'),
                {rel: 'stylesheet', href: 'https://cdn.example.org/kit.css'});
            const img = Object.assign(document.createElement('img'),
                {src: 'http://127.0.0.2:9/pixel.png'});
            document.head.append(link);
            document.body.append(img);
        }"""
    )
    page.wait_for_load_state("networkidle")
    context.close()
    assert sorted(problems.foreign_requests) == [
        "http://127.0.0.2:9/pixel.png",
        "https://cdn.example.org/kit.css",
    ]


def test_script_errors_and_missing_assets_are_caught(browser, live_server):
    problems = PageProblems()
    context = browser.new_context(base_url=live_server)
    watch(context, live_server, problems)
    page = context.new_page()
    page.goto("/auth/login")
    page.evaluate(
        """() => {
            document.body.append(Object.assign(document.createElement('img'),
                {src: '/static/missing.png'}));
            setTimeout(() => { throw new Error('boom'); });
        }"""
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(100)
    context.close()
    assert problems.failed_assets == [f"404 {live_server}/static/missing.png"]
    assert any("boom" in error for error in problems.script_errors)
