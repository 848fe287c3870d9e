"""Notifications: one per event, gone with the event, shown only while their actor and post may
be seen, grouped, marked read, counted in the bell, kept current by a cheap poll."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.listings.notifications import UNREAD, notification_lines
from app.models import Notification, Post, User, utcnow
from app.models.notifications import ALL_KINDS, FOLLOW, LIKE, MENTION, REPLY
from app.web import memo
from tests.helpers import TEST_DATABASE_URL

BELL = re.compile(r'<span class="bell-count"( hidden)?>(?:<span>([^<]*)</span>)?')
LINE = re.compile(r'<li class="notification notification-(\w+)( notification-unread)?">')


def rows_of(user: User) -> list[tuple[int, int, int | None]]:
    """(kind, actor id, post id) of every notification row of ``user``, oldest first."""
    stmt = (
        sa.select(Notification.kind, Notification.actor_id, Notification.post_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    )
    return [tuple(row) for row in _db.session.execute(stmt)]


def bell(page: str) -> str | None:
    """The count the bell shows on ``page`` (None when it shows none)."""
    match = BELL.search(page)
    assert match, "no bell on the page"
    return None if match.group(1) else match.group(2)


def lines(page: str) -> list[tuple[str, bool]]:
    """(kind, unread) of each line on a notifications page."""
    return [(kind, bool(unread)) for kind, unread in LINE.findall(page)]


@pytest.fixture
def bob_client(client_for, bob):
    return client_for("bob")


# One notification per event, gone with the event


def test_a_follow_notifies_once_and_an_unfollow_takes_it_back(db, alice, bob, bob_client):
    assert bob_client.submit("/follow/alice", page="/user/alice").status_code == 302
    assert bob_client.submit("/follow/alice", page="/user/alice").status_code == 302
    assert rows_of(alice) == [(FOLLOW, bob.id, None)]
    assert bob_client.submit("/unfollow/alice", page="/user/alice").status_code == 302
    assert rows_of(alice) == []


def test_a_like_notifies_once_and_an_unlike_takes_it_back(
    db, alice, bob, bob_client, alice_client, make_post
):
    post = make_post(alice, "like me")
    assert bob_client.submit(f"/post/{post.id}/like", page="/explore").status_code == 302
    assert bob_client.submit(f"/post/{post.id}/like", page="/explore").status_code == 302
    assert rows_of(alice) == [(LIKE, bob.id, post.id)]
    alice_client.submit(f"/post/{post.id}/like", page="/explore")  # one's own: nobody told
    assert rows_of(alice) == [(LIKE, bob.id, post.id)]
    assert bob_client.submit(f"/post/{post.id}/unlike", page="/explore").status_code == 302
    assert rows_of(alice) == []


def test_likes_of_one_post_make_one_line(db, alice, alice_client, client_for, make_user, make_post):
    post = make_post(alice, "like me")
    for name in ("ana", "ben", "cat"):
        make_user(name)
        client_for(name).submit(f"/post/{post.id}/like", page="/explore")
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert lines(page) == [("like", True)]
    assert re.search(r">cat</a> and 2 others\s+liked your post", page)


def test_a_reply_notifies_the_author_answered_and_deleting_it_takes_it_back(
    db, alice, bob, bob_client, make_post
):
    post = make_post(alice, "a question")
    bob_client.submit(f"/post/{post.id}/reply", {"post": "@alice an answer"})
    reply_id = db.session.scalar(sa.select(sa.func.max(Notification.post_id)))
    # The reply names alice too: still one notification, the reply.
    assert rows_of(alice) == [(REPLY, bob.id, reply_id)]
    assert rows_of(bob) == []
    assert bob_client.submit(f"/post/{reply_id}/delete").status_code == 302
    assert rows_of(alice) == []


def test_a_mention_notifies_each_named_account_once_but_never_the_author(
    db, alice, bob, bob_client, make_user
):
    carol = make_user("carol")
    bob_client.submit("/", {"post": "hi @Alice and @alice, @carol, @bob and @nobody_here"})
    post_id = db.session.scalar(sa.select(sa.func.max(Notification.post_id)))
    assert rows_of(alice) == [(MENTION, bob.id, post_id)]
    assert rows_of(carol) == [(MENTION, bob.id, post_id)]
    assert rows_of(bob) == []
    assert bob_client.submit(f"/post/{post_id}/delete").status_code == 302
    assert rows_of(alice) == rows_of(carol) == []


def test_editing_a_post_updates_its_mentions(db, alice, bob, bob_client, make_user):
    carol = make_user("carol")
    bob_client.submit("/", {"post": "hello @alice"})
    post_id = db.session.scalar(sa.select(sa.func.max(Notification.post_id)))
    bob_client.submit(f"/post/{post_id}/edit", {"post": "hello @carol"})
    assert rows_of(alice) == []
    assert rows_of(carol) == [(MENTION, bob.id, post_id)]
    # Saying the same again tells nobody a second time.
    bob_client.submit(f"/post/{post_id}/edit", {"post": "hello again @carol"})
    assert rows_of(carol) == [(MENTION, bob.id, post_id)]


def test_a_mention_stays_with_the_account_through_a_rename(
    db, alice, bob, bob_client, client_for, alice_client, make_user
):
    bob_client.submit("/", {"post": "thanks @alice!"})
    post_id = db.session.scalar(sa.select(sa.func.max(Notification.post_id)))
    alice_client.submit("/edit_profile", {"username": "alicia", "about_me": ""})
    impostor = make_user("alice", email="impostor@example.com")  # takes the old name
    page = bob_client.get(f"/post/{post_id}").get_data(as_text=True)
    # The old text still says @alice, and its link goes to the account it named, now alicia.
    assert '<a href="/user/alicia">@alice</a>' in page
    assert 'href="/user/alice"' not in page
    assert rows_of(impostor) == []
    assert [kind for kind, *_ in rows_of(db.session.get(User, alice.id))] == [MENTION]
    # An edit keeps the binding of a name that stays in the text.
    bob_client.submit(f"/post/{post_id}/edit", {"post": "thanks again @alice!"})
    assert rows_of(impostor) == []
    page = bob_client.get(f"/post/{post_id}").get_data(as_text=True)
    assert '<a href="/user/alicia">@alice</a>' in page


def test_a_name_nobody_had_when_written_is_no_link_later(db, bob, bob_client, make_user):
    bob_client.submit("/", {"post": "is @newcomer here?"})
    make_user("newcomer")
    page = bob_client.get("/user/bob").get_data(as_text=True)
    assert "is @newcomer here?" in page
    assert 'href="/user/newcomer"' not in page


# What is shown: nothing from the suspended, about hidden posts, of kinds switched off


def test_a_suspension_or_a_hidden_post_takes_notifications_out_of_list_and_count(
    db, alice, bob, bob_client, alice_client, client_for, make_staff
):
    make_staff("mod", "moderator")
    moderator = client_for("mod")
    bob_client.submit("/follow/alice", page="/user/alice")
    bob_client.submit("/", {"post": "look @alice"})
    post_id = db.session.scalar(sa.select(sa.func.max(Notification.post_id)))
    assert bell(alice_client.get("/explore").get_data(as_text=True)) == "2"

    moderator.submit(f"/moderation/post/{post_id}/hide", {"reason": "rude"})
    assert bell(alice_client.get("/explore").get_data(as_text=True)) == "1"
    mentions = alice_client.get("/notifications/mentions").get_data(as_text=True)
    assert lines(mentions) == []

    moderator.submit("/moderation/user/bob/suspend", {"reason": "spam"})
    assert bell(alice_client.get("/explore").get_data(as_text=True)) is None
    assert lines(alice_client.get("/notifications").get_data(as_text=True)) == []

    moderator.submit("/moderation/user/bob/unsuspend", {"reason": "sorry"})
    moderator.submit(f"/moderation/post/{post_id}/unhide", {"reason": "fine"})
    # Back, and already read: the page was opened meanwhile.
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert [k for k, _ in lines(page)] == ["mention", "follow"]


def test_kinds_switched_off_are_not_shown_or_counted(db, alice, bob, bob_client, alice_client):
    bob_client.submit("/follow/alice", page="/user/alice")
    bob_client.submit("/", {"post": "look @alice"})
    alice_client.submit("/notifications/settings", {"mention": "y", "reply": "y", "like": "y"})
    db.session.expire_all()
    assert db.session.get(User, alice.id).notify_kinds == ALL_KINDS & ~FOLLOW
    assert bell(alice_client.get("/explore").get_data(as_text=True)) == "1"
    assert [k for k, _ in lines(alice_client.get("/notifications").get_data(as_text=True))] == [
        "mention"
    ]


# The page: newest first, grouped, marked read, paged


def test_follows_of_a_day_make_one_line_and_opening_the_page_marks_read(
    db, alice, alice_client, client_for, make_user
):
    for name in ("ana", "ben", "cat"):
        make_user(name)
        client_for(name).submit("/follow/alice", page="/user/alice")
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert lines(page) == [("follow", True)]
    assert re.search(r">cat</a> and 2 others\s+followed you", page)
    # Read now: the bell is empty, and the page shows the line as read.
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert lines(page) == [("follow", False)]
    assert bell(page) is None


def test_a_day_apart_follows_are_two_lines(db, alice, bob, make_user, alice_client):
    carol = make_user("carol")
    bob.follow(alice)
    db.session.commit()
    older = db.session.scalar(sa.select(Notification))
    older.created_at -= timedelta(days=1)
    older.group_key = f"follow:{older.created_at:%Y-%m-%d}"
    carol.follow(alice)
    db.session.commit()
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert [k for k, _ in lines(page)] == ["follow", "follow"]


def test_pages_walk_the_lines_newest_first(db, app, alice, alice_client, make_user, make_post):
    post = make_post(alice, "a question")
    names = [f"user{n}" for n in range(7)]
    for name in names:
        post.reply(make_user(name), f"answer from {name}")
        db.session.commit()
    seen, url = [], "/notifications"
    while url:
        page = alice_client.get(url).get_data(as_text=True)
        seen += re.findall(r"answer from (user\d)", page)
        found = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == names[::-1]
    assert alice_client.get("/notifications?after=nonsense").status_code == 400


def test_lines_are_rendered_once_while_nothing_they_show_changes(
    db, app, alice, bob, bob_client, alice_client, make_post, monkeypatch
):
    """Each line is a kept fragment: another view of the same lines renders none of them."""
    bob.follow(alice)
    post = make_post(alice, "like me")
    bob_client.submit(f"/post/{post.id}/like", page="/explore")
    renders, get_template = [], app.jinja_env.get_template

    def counting(name, *args):
        renders.append(name)
        return get_template(name, *args)

    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    first = alice_client.get("/notifications").get_data(as_text=True)
    assert lines(first) == [("like", True), ("follow", True)]
    # Opening the page read them: shown again as read, each line is rendered once more ...
    second = alice_client.get("/notifications").get_data(as_text=True)
    assert lines(second) == [("like", False), ("follow", False)]
    assert renders.count("notifications/_line.html") == 4
    # ... and then kept: the same page again renders no line, and is the same page.
    third = alice_client.get("/notifications").get_data(as_text=True)
    assert renders.count("notifications/_line.html") == 4
    assert re.sub(r'data-rendered-at="[^"]*"', "", third) == re.sub(
        r'data-rendered-at="[^"]*"', "", second
    )


def test_a_kept_line_shows_a_rename_an_edit_a_grown_group_and_the_time_at_once(
    db, alice, bob, bob_client, alice_client, client_for, make_user, make_post, monkeypatch
):
    bob_client.submit("/", {"post": "hello @alice"})
    post_id = db.session.scalar(sa.select(sa.func.max(Notification.post_id)))
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert re.search(r">bob</a>\s+mentioned you", page)
    assert ">hello @alice</a>" in page
    assert "just now" in page

    bob_client.submit("/edit_profile", {"username": "bobby", "about_me": ""})
    bob_client.submit(f"/post/{post_id}/edit", {"post": "hello again @alice"})
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert re.search(r'<a href="/user/bobby">bobby</a>\s+mentioned you', page)
    assert ">hello again @alice</a>" in page
    assert ">bob<" not in page

    liked = make_post(alice, "like me")
    make_user("cat")
    client_for("cat").submit(f"/post/{liked.id}/like", page="/explore")
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert re.search(r">cat</a>\s+liked your post", page)
    bob_client.submit(f"/post/{liked.id}/like", page="/explore")
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert re.search(r">bobby</a> and 1 other\s+liked your post", page)
    assert lines(page) == [("like", True), ("mention", False)]

    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr("app.notifications.routes.utcnow", lambda: later)
    page = alice_client.get("/notifications").get_data(as_text=True)
    assert "just now" not in page.split('<ol class="notifications">')[1]
    assert page.count("3 hours ago") == 2


# The bell and the poll: no query while nothing changed, no write


def test_the_bell_costs_no_statement_while_nothing_changed(
    db, alice, bob, alice_client, statements
):
    alice_client.get("/explore")
    statements.clear()
    alice_client.get("/explore")
    quiet = len(statements)
    bob.follow(alice)
    db.session.commit()
    statements.clear()
    page = alice_client.get("/explore").get_data(as_text=True)
    assert bell(page) == "1"
    assert len(statements) == quiet + 1


def test_the_unread_poll_answers_304_without_a_query_or_a_write(
    db, alice, bob, alice_client, statements
):
    answer = alice_client.get("/notifications/unread")
    assert answer.json == {"unread": 0, "label": "0"}
    etag = answer.headers["ETag"]
    statements.clear()
    again = alice_client.get("/notifications/unread", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert len(statements) == 1  # the login's user row, which the ETag is made of
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT")) for s in statements)
    bob.follow(alice)
    db.session.commit()
    changed = alice_client.get("/notifications/unread", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json == {"unread": 1, "label": "1"}


def test_the_bell_counts_up_to_99_plus(db, alice, make_user, alice_client):
    users = [User(username=f"fan{n}", email=f"fan{n}@example.com") for n in range(120)]
    db.session.add_all(users)
    db.session.flush()
    for user in users:
        user.follow(alice)
    db.session.commit()
    assert bell(alice_client.get("/explore").get_data(as_text=True)) == "99+"


# Email: only when asked, rate-limited, one-click unsubscribe


def test_mentions_are_emailed_only_to_those_who_asked(
    db, app, alice, bob, bob_client, alice_client, mailbox
):
    bob_client.submit("/", {"post": "first @alice"})
    assert mailbox.messages == []
    alice_client.submit(
        "/notifications/settings",
        {"follow": "y", "reply": "y", "mention": "y", "email_mention": "y"},
    )
    bob_client.submit("/", {"post": "second @alice"})
    message = mailbox.last()
    assert message["To"] == alice.email
    assert "bob mentioned you" in message["Subject"]
    assert "second @alice" in mailbox.text(message)
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(app.config["SITE_URL"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    path = unsubscribe.removeprefix(app.config["SITE_URL"])
    assert "Stop these emails" in app.test_client().get(path).get_data(as_text=True)
    assert db.session.get(User, alice.id).email_kinds != 0
    # What a mail program sends: no cookie, no CSRF token.
    done = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, alice.id).email_kinds == 0
    bob_client.submit("/", {"post": "third @alice"})
    assert len(mailbox.messages) == 1


@pytest.mark.parametrize("token", ["nonsense", "MQ.forged-signature"])
def test_a_bad_unsubscribe_link_is_a_404(client, token):
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 404
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404


@pytest.mark.rate_limits
def test_notification_emails_are_rate_limited(db, app, alice, bob, bob_client, mailbox):
    app.config["NOTIFICATION_EMAIL_LIMIT"] = "2 per hour"
    alice.email_kinds = REPLY | MENTION
    db.session.commit()
    for n in range(4):
        bob_client.submit("/", {"post": f"number {n} for @alice"})
    assert len(mailbox.messages) == 2


def test_no_email_for_a_post_that_was_rolled_back(db, app, alice, bob, mailbox):
    alice.email_kinds = MENTION
    db.session.commit()
    with app.test_request_context():
        db.session.add(Post(body="hi @alice", author=bob))
        db.session.flush()
        db.session.rollback()
        db.session.add(Post(body="later @alice", author=bob, timestamp=utcnow()))
        db.session.commit()
    assert [mailbox.text(m).count("later @alice") for m in mailbox.messages] == [1]


# Cost: a fixed number of statements, index ranges, no sort


def test_the_page_runs_the_same_statements_however_long(
    db, app, alice, alice_client, make_user, make_post, statements
):
    post = make_post(alice, "a question")
    for n in range(12):
        user = make_user(f"user{n}")
        user.follow(alice)
        post.reply(user, f"answer {n}")
        db.session.commit()
    counts = []
    for per_page in (2, 30):
        app.config["POSTS_PER_PAGE"] = per_page
        alice_client.get("/notifications")  # marks read: that write is not counted below
        statements.clear()
        page = alice_client.get("/notifications").get_data(as_text=True)
        assert len(lines(page)) == min(per_page, 13)
        counts.append(len(statements))
    assert counts == [2, 2]  # the user, the lines (the bell knows it has nothing new)


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("sqlite"), reason="reads SQLite plans")
def test_lines_and_unread_count_read_the_index_newest_first_without_a_sort(db, alice, bob):
    bob.follow(alice)
    db.session.commit()
    stmt, params = notification_lines(alice, ALL_KINDS)(None, False, 26)
    compiled = stmt.compile(db.engine)
    values = {**compiled.params, **params}
    plans = [plan_of(db, str(compiled), [values[k] for k in compiled.positiontup])]
    compiled = UNREAD.compile(db.engine)
    values = {**compiled.params, "user_id": alice.id, "read_id": 0, "kinds": ALL_KINDS}
    plans.append(plan_of(db, str(compiled), [values[k] for k in compiled.positiontup]))
    for plan in plans:
        assert "SEARCH notification USING INDEX ix_notification_user_id_id (user_id=?" in plan
        assert "TEMP B-TREE" not in plan
        assert not re.search(r"\bSCAN (notification|user|post|actor|about_post)\b", plan), plan


def plan_of(db, sql: str, params: list) -> str:
    """SQLite's EXPLAIN QUERY PLAN of one statement, one line per step."""
    connection = db.session.connection().connection.dbapi_connection
    return "\n".join(row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_an_unchanged_unread_count_is_counted_once_a_minute(
    db, alice, bob, alice_client, statements, monkeypatch
):
    bob.follow(alice)
    db.session.commit()

    def counts() -> int:
        return sum("FROM notification" in sql for sql in statements)

    alice_client.get("/explore")
    assert counts() == 1
    assert bell(alice_client.get("/explore").get_data(as_text=True)) == "1"
    assert counts() == 1
    later = time.monotonic() + 61
    monkeypatch.setattr(memo.time, "monotonic", lambda: later)
    assert bell(alice_client.get("/explore").get_data(as_text=True)) == "1"
    assert counts() == 2
