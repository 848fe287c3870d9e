"""Who sees a post, a hidden post, or a suspended author's post: every page, every kind of viewer.

:data:`PAGES` lists every page that can show a post, with who sees the post there in each case.
A new page that shows posts (a thread, a feed, an API) is added there, and the walk below then
checks it for every viewer and every case. The visible case is the control: it shows that each
page's address and each viewer's set-up really can show the post, so that "not on the page" in
the other cases means something.
"""

from typing import NamedTuple

import pytest

from app.models import like
from app.models.moderation import Report

BODY = "a post that some should not see"
# The post's whole text: a word to search for (search marks it, so it is not in BODY) and a tag.
TEXT = f"{BODY}, findable #secret"

ANONYMOUS, READER, AUTHOR, MODERATOR, ADMIN = "anonymous", "reader", "author", "moderator", "admin"
VIEWERS = (ANONYMOUS, READER, AUTHOR, MODERATOR, ADMIN)
USERNAMES = {READER: "reader", AUTHOR: "alice", MODERATOR: "mod", ADMIN: "boss"}
STAFF = frozenset({MODERATOR, ADMIN})
LOGGED_IN = frozenset({READER, AUTHOR, MODERATOR, ADMIN})
NOBODY = frozenset()

CASES = ("visible", "hidden", "suspended")
# Who may open the post at all: its permalink, and the line every other page of it follows.
# (A suspended author's sessions end, so the author is logged out in that case.)
MAY_SEE = {
    "visible": LOGGED_IN,
    "hidden": frozenset({AUTHOR}) | STAFF,
    "suspended": STAFF,
}

# What a page is, for the status it answers when it does not show the post.
OPEN = "a page anyone logged in may open: 200"
OF_THE_POST = "a page of the post: 404 to whoever may not see it"
MODERATION = "a moderators' page: 403 to the others"
ADMINISTRATION = "an admins' page: 403 to the others"


class Page(NamedTuple):
    """A page that can show a post, and who sees the post there in each case."""

    name: str
    # with {post}, {report} (its report's id), {reply} (a reply to it by someone else),
    # {author} and {viewer} (usernames)
    url: str
    kind: str
    shows: dict[str, frozenset[str]]


def shown_to(visible=NOBODY, hidden=NOBODY, suspended=NOBODY) -> dict[str, frozenset[str]]:
    """Who sees the post on a page in each case (nobody unless named)."""
    return {
        "visible": frozenset(visible),
        "hidden": frozenset(hidden),
        "suspended": frozenset(suspended),
    }


# Listings leave out a hidden or suspended post even for moderators: they see it on its own page.
IN_LISTINGS = shown_to(visible=LOGGED_IN, hidden={AUTHOR})
# A report, and the moderators' pages for acting on it: hiding the post settles it (the hide page
# then says the post is hidden already); a suspension leaves it to the moderators.
IN_THE_QUEUE = shown_to(visible=STAFF, suspended=STAFF)
PAGES = [
    Page("home", "/", OPEN, IN_LISTINGS),
    Page("explore", "/explore", OPEN, IN_LISTINGS),
    Page("profile", "/user/{author}", OPEN, IN_LISTINGS),
    Page("profile, posts and replies", "/user/{author}/with_replies", OPEN, IN_LISTINGS),
    # The thread of a reply to the post shows the post above it (or "not available" in its place).
    Page("a reply's thread", "/post/{reply}", OPEN, IN_LISTINGS),
    Page("permalink", "/post/{post}", OF_THE_POST, MAY_SEE),
    # Who liked it: the post's card above the list.
    Page("liked by", "/post/{post}/likes", OF_THE_POST, MAY_SEE),
    # Every logged-in viewer liked the post: their own Likes tab lists it like any listing.
    Page("viewer's likes", "/user/{viewer}/likes", OPEN, IN_LISTINGS),
    Page("edit", "/post/{post}/edit", OF_THE_POST, shown_to(visible={AUTHOR}, hidden={AUTHOR})),
    Page("delete", "/post/{post}/delete", OF_THE_POST, shown_to(visible={AUTHOR}, hidden={AUTHOR})),
    # Nobody is offered to report a post that only its author sees.
    Page("report", "/post/{post}/report", OF_THE_POST, shown_to(visible={READER} | STAFF)),
    Page("author's followers", "/user/{author}/followers", OPEN, shown_to()),
    Page("viewer's followings", "/user/{viewer}/following", OPEN, shown_to()),
    Page("people search", "/search?q={author}", OPEN, shown_to()),
    # The post mentions the reader, and the others like it: it is on the reader's notifications
    # (a mention) and the author's (likes) while everyone may see it.
    Page("notifications", "/notifications", OPEN, shown_to(visible={READER, AUTHOR})),
    Page("notifications, mentions", "/notifications/mentions", OPEN, shown_to(visible={READER})),
    # Search finds only what everyone may see: not even its author finds a hidden post there.
    Page("post search", "/search/posts?q=findable", OPEN, shown_to(visible=LOGGED_IN)),
    Page("post search by tag", "/search/posts?q=%23secret", OPEN, shown_to(visible=LOGGED_IN)),
    Page(
        "post search, most relevant",
        "/search/posts?q=findable&sort=relevant",
        OPEN,
        shown_to(visible=LOGGED_IN),
    ),
    Page("tag page", "/tags/secret", OPEN, IN_LISTINGS),
    Page("data export", "/account/export", OPEN, shown_to(visible={AUTHOR}, hidden={AUTHOR})),
    Page("moderation queue", "/moderation/", MODERATION, IN_THE_QUEUE),
    Page("hide", "/moderation/post/{post}/hide", MODERATION, IN_THE_QUEUE),
    Page("unhide", "/moderation/post/{post}/unhide", MODERATION, shown_to(hidden=STAFF)),
    Page("dismiss", "/moderation/report/{report}/dismiss", MODERATION, IN_THE_QUEUE),
    # The entry of the hiding names the post by its text.
    Page("audit log", "/admin/audit", ADMINISTRATION, shown_to(hidden={ADMIN})),
]

# Pages that never show a post; every other page a GET can reach must be in PAGES.
SHOW_NO_POST = {
    "static",
    "main.avatar",
    "main.healthz",
    "auth.login",
    "auth.register",
    "main.edit_profile",
    "account.settings",
    "account.change_email",
    "account.change_password",
    "account.confirm_email",
    "account.confirm_email_change",
    "account.reset_request",
    "account.reset_password",
    "account.delete",
    "admin.roles",
    "search.tags",
    "moderation.suspended",
    "moderation.suspend_user",
    "moderation.unsuspend_user",
    "notifications.unread",
    "notifications.settings",
    "notifications.unsubscribe",
}


def logged_out(case: str, viewer: str) -> bool:
    """Whether ``viewer`` has no session in ``case`` (a suspension ends the author's)."""
    return viewer == ANONYMOUS or (viewer == AUTHOR and case == "suspended")


def expected_statuses(page: Page, case: str, viewer: str, shown: bool) -> set[int]:
    """The statuses ``page`` may answer ``viewer`` with in ``case``."""
    if logged_out(case, viewer):
        return {302}  # to the login page, checked by the walk
    if shown or page.kind == OPEN:
        return {200}
    if page.kind == OF_THE_POST:
        # A post someone may not see looks missing; one they may see but not use here (another's
        # post to edit, one's own to report, one with nothing to report) is refused or left.
        return {302, 403} if viewer in MAY_SEE[case] else {404}
    staff = STAFF if page.kind == MODERATION else {ADMIN}
    return {200, 302} if viewer in staff else {403}


def walk(browsers: dict, case: str, post_id: int, report_id: int, reply_id: int) -> list[str]:
    """Every page of :data:`PAGES` for every viewer: what differs from the table, one line each."""
    wrong = []
    for page in PAGES:
        for viewer in VIEWERS:
            viewer_name = USERNAMES.get(viewer, "alice")
            url = page.url.format(
                post=post_id, report=report_id, reply=reply_id, author="alice", viewer=viewer_name
            )
            response = browsers[viewer].get(url)
            shown = page.shows[case]
            on_page = BODY in response.get_data(as_text=True)
            statuses = expected_statuses(page, case, viewer, viewer in shown)
            if on_page != (viewer in shown) or response.status_code not in statuses:
                wrong.append(
                    f"{page.name} ({url}) for the {viewer}: {response.status_code}, the post "
                    f"{'shown' if on_page else 'not shown'}; expected {sorted(statuses)}, "
                    f"{'shown' if viewer in shown else 'not shown'}"
                )
            if logged_out(case, viewer) and not (response.location or "").startswith(
                "/auth/login?"
            ):
                wrong.append(f"{page.name} for the {viewer}: not sent to log in")
    return wrong


@pytest.mark.parametrize("case", CASES)
def test_every_page_shows_the_post_to_exactly_whom_it_should(
    db, client, make_user, make_staff, make_post, make_reply, client_for, case
):
    alice = make_user("alice")
    reader = make_user("reader")
    post = make_post(alice, f"{TEXT} @reader")
    carol = make_user("carol")  # reported it, and answered it; not one of the viewers
    reply = make_reply(post, carol, "an answer")
    # Every logged-in viewer follows alice, so the post is on their home timeline.
    for follower in (
        reader,
        make_staff("mod", "moderator"),
        make_staff("boss", "admin"),
    ):
        follower.follow(alice)
        like(follower, post)
    like(alice, post)
    report = Report(post=post, reporter=carol, reason="rude")
    db.session.add(report)
    db.session.commit()
    browsers = {viewer: client_for(name) for viewer, name in USERNAMES.items()}
    browsers[ANONYMOUS] = client

    # The moderator acts through the real pages; the author's browser stays open meanwhile.
    if case == "hidden":
        done = browsers[MODERATOR].submit(f"/moderation/post/{post.id}/hide", {"reason": "rude"})
        assert done.status_code == 302
    elif case == "suspended":
        done = browsers[MODERATOR].submit("/moderation/user/alice/suspend", {"reason": "spam"})
        assert done.status_code == 302

    wrong = walk(browsers, case, post.id, report.id, reply.id)
    assert not wrong, "\n".join(wrong)


def test_every_page_is_walked_or_shows_no_post(app):
    """A new page is either in :data:`PAGES` (so the walk checks it) or in :data:`SHOW_NO_POST`."""
    match = app.url_map.bind("localhost").match
    walked = {
        match(page.url.format(post=1, report=1, reply=2, author="a", viewer="v").split("?")[0])[0]
        for page in PAGES
    }
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert pages - walked == SHOW_NO_POST
