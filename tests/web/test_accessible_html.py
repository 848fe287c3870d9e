"""What screen readers get that the eye gets from layout: exact post times, and flash messages
marked as live regions (errors and warnings as alerts)."""

import re
from datetime import UTC, datetime

import pytest

from app.web.filters import exact_time

WHEN = datetime(2026, 3, 7, 9, 5, tzinfo=UTC)


def test_exact_time_is_in_words():
    assert exact_time(WHEN) == "7 March 2026, 09:05 UTC"


@pytest.mark.parametrize("url", ["/explore", "/user/bob"])
def test_a_post_time_says_the_exact_date_to_screen_readers_and_on_hover(
    alice_client, bob, make_post, url
):
    make_post(bob, "a dated post", timestamp=WHEN)
    page = alice_client.get(url).get_data(as_text=True)
    time = re.search(r'<a href="/post/1" class="post-permalink">(.*?)</a>', page, re.S).group(1)
    assert 'title="7 March 2026, 09:05 UTC"' in time
    # Read as the link's name: "… ago (7 March 2026, 09:05 UTC)".
    words = re.sub(r"<[^>]+>", "", time)
    assert re.fullmatch(r"\d+ \w+ ago \(7 March 2026, 09:05 UTC\)", words)


def test_the_post_a_thread_is_about_shows_its_full_date(alice_client, bob, make_post):
    make_post(bob, "a dated post", timestamp=WHEN)
    page = alice_client.get("/post/1").get_data(as_text=True)
    focus = page[page.index('class="thread-focus"') :]
    assert (
        '<a href="/post/1" class="post-permalink">'
        '<time datetime="2026-03-07T09:05:00Z">7 March 2026, 09:05 UTC</time></a>'
    ) in focus


def test_last_seen_says_the_exact_date_too(alice_client, bob, db):
    bob.last_seen = WHEN
    db.session.commit()
    page = alice_client.get("/user/bob").get_data(as_text=True)
    assert '<span class="visually-hidden"> (7 March 2026, 09:05 UTC)</span>' in page


def test_a_flash_is_a_status_message(alice_client, bob):
    response = alice_client.submit("/follow/bob", page="/user/bob", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<p class="flash flash-success" role="status">You are following bob.</p>' in page


def test_a_warning_flash_is_an_alert(alice_client):
    response = alice_client.submit("/follow/alice", page="/user/alice", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<p class="flash flash-warning" role="alert">You cannot follow yourself.</p>' in page


def test_an_error_flash_is_an_alert(app, client, make_user, login, mailbox):
    make_user("dave", confirmed=False)
    login("dave")
    app.config["MAIL_PORT"] = 1  # nothing listens there
    response = client.submit("/account/resend-confirmation", {}, page="/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="flash flash-error" role="alert">We could not send', page)
