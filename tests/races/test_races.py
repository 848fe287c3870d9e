"""A post, report or account changed by someone else while a request is working on it.

Each test lets the request load what it needs, then makes the change from another connection
(as another process would) just before the request writes. The request must answer as if it had
come just after the change (a 404 page), never with a 500, and leave nothing half-written.
"""

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import request

from app.extensions import db
from app.models import AuditLog, Post, Report, User
from app.models.types import utcnow
from app.moderation.forms import ReasonForm
from app.posts.forms import DeletePostForm, EditPostForm, ReportForm
from tests.helpers import add_users, at_once, csrf_token_from, logged_in, wait_before

GONE = "That post does not exist or is no longer available."


def elsewhere(app, statement: sa.Executable, when: str = "POST") -> Callable[[], None]:
    """A step that runs ``statement`` in a thread, session and connection of its own, during
    a ``when`` request only (the form page fetched first must not see the change)."""

    def run() -> None:
        with app.app_context():
            db.session.execute(statement)
            db.session.commit()

    def step() -> None:
        if request.method == when:
            at_once(run)

    return step


def delete_post(post_id: int) -> sa.Delete:
    return sa.delete(Post).where(Post.id == post_id)


def delete_user(user_id: int) -> sa.Delete:
    return sa.delete(User).where(User.id == user_id)


def hide_post(post_id: int) -> sa.Update:
    return sa.update(Post).where(Post.id == post_id).values(hidden_at=utcnow())


def suspend_user(user_id: int) -> sa.Update:
    return sa.update(User).where(User.id == user_id).values(suspended_at=utcnow())


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def people(shared_app, shared_db):
    """alice (author), bob (reader) and mod (moderator), and alice's post; their ids."""
    alice, bob, mod = add_users("alice", "bob", "mod")
    mod.grant_role("moderator")
    post = Post(body="first words", author=alice)
    db.session.add(post)
    db.session.commit()
    return {"alice": alice.id, "bob": bob.id, "mod": mod.id, "post": post.id}


@pytest.mark.parametrize("gone", ["post", "author"])
def test_editing_a_post_deleted_meanwhile_is_a_404(shared_app, people, monkeypatch, gone):
    statement = delete_post(people["post"]) if gone == "post" else delete_user(people["alice"])
    client = logged_in(shared_app, "alice")
    wait_before(monkeypatch, EditPostForm, "validate_on_submit", elsewhere(shared_app, statement))

    response = client.submit(f"/post/{people['post']}/edit", {"post": "second thoughts"})

    assert response.status_code == 404
    assert GONE in response.get_data(as_text=True)
    assert count(Post) == 0


def test_deleting_a_post_deleted_meanwhile_is_a_404(shared_app, people, monkeypatch):
    client = logged_in(shared_app, "alice")
    change = elsewhere(shared_app, delete_post(people["post"]))
    wait_before(monkeypatch, DeletePostForm, "validate_on_submit", change)

    response = client.submit(f"/post/{people['post']}/delete", {})

    assert response.status_code == 404
    assert GONE in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "change",
    [
        lambda ids: delete_post(ids["post"]),
        lambda ids: delete_user(ids["alice"]),
        lambda ids: hide_post(ids["post"]),
        lambda ids: suspend_user(ids["alice"]),
    ],
    ids=["post deleted", "author deleted", "post hidden", "author suspended"],
)
def test_reporting_a_post_gone_meanwhile_is_a_404(shared_app, people, monkeypatch, change):
    # Just after the change, bob could not open the post at all: no thanks, no report.
    client = logged_in(shared_app, "bob")
    wait_before(
        monkeypatch, ReportForm, "validate_on_submit", elsewhere(shared_app, change(people))
    )

    response = client.submit(f"/post/{people['post']}/report", {"reason": "rude"})

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert GONE in page
    assert "Thank you" not in page
    assert count(Report) == 0


@pytest.mark.parametrize("action", ["hide", "unhide"])
def test_hiding_a_post_deleted_meanwhile_is_a_404(shared_app, people, monkeypatch, action):
    if action == "unhide":
        db.session.execute(hide_post(people["post"]))
        db.session.commit()
    client = logged_in(shared_app, "mod")
    change = elsewhere(shared_app, delete_post(people["post"]))
    wait_before(monkeypatch, ReasonForm, "validate_on_submit", change)

    response = client.submit(f"/moderation/post/{people['post']}/{action}", {"reason": "spam"})

    assert response.status_code == 404
    assert "That post does not exist." in response.get_data(as_text=True)
    assert count(AuditLog) == 0


def test_suspending_an_account_deleted_meanwhile_is_a_404(shared_app, people, monkeypatch):
    client = logged_in(shared_app, "mod")
    change = elsewhere(shared_app, delete_user(people["alice"]))
    wait_before(monkeypatch, ReasonForm, "validate_on_submit", change)

    response = client.submit("/moderation/user/alice/suspend", {"reason": "spam"})

    assert response.status_code == 404
    assert "There is no user called alice." in response.get_data(as_text=True)
    assert count(AuditLog) == 0


def test_dismissing_a_report_whose_post_was_deleted_meanwhile_is_a_404(
    shared_app, people, monkeypatch
):
    report = Report(post_id=people["post"], reporter_id=people["bob"], reason="rude")
    db.session.add(report)
    db.session.commit()
    client = logged_in(shared_app, "mod")
    change = elsewhere(shared_app, delete_post(people["post"]))
    wait_before(monkeypatch, ReasonForm, "validate_on_submit", change)

    response = client.submit(f"/moderation/report/{report.id}/dismiss", {"reason": "fine"})

    assert response.status_code == 404
    assert "That report does not exist." in response.get_data(as_text=True)
    assert count(AuditLog) == 0


@pytest.mark.parametrize("url", ["/post/{}", "/moderation/post/{}/hide"])
def test_a_post_page_read_as_its_author_is_deleted_still_renders(
    shared_app, people, monkeypatch, url
):
    # The post and its author are read together, so the page shows them as they were a moment
    # ago instead of failing on an author that vanished in between.
    client = logged_in(shared_app, "mod")
    change = elsewhere(shared_app, delete_user(people["alice"]), when="GET")
    original = db.session.get

    def get_then_change(*args, **kwargs):
        found = original(*args, **kwargs)
        if args and args[0] is Post:
            change()
        return found

    monkeypatch.setattr(db.session, "get", get_then_change)

    response = client.get(url.format(people["post"]))

    assert response.status_code == 200
    assert "first words" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "page", "data", "form"),
    [
        ("/", "/", {"post": "written in another tab"}, "PostForm"),
        (
            "/edit_profile",
            "/edit_profile",
            {"username": "alice2", "about_me": "hi"},
            "EditProfileForm",
        ),
        ("/follow/bob", "/user/bob", {}, "EmptyForm"),
        ("/post/{post}/report", "/post/{post}/report", {"reason": "rude"}, "ReportForm"),
    ],
    ids=["post", "edit profile", "follow", "report"],
)
def test_acting_while_ones_own_account_is_deleted_logs_out(
    shared_app, people, monkeypatch, url, page, data, form
):
    """The account was deleted in another tab: the next request would find nobody logged in."""
    from app.main import forms as main_forms
    from app.posts import forms as post_forms
    from app.web import forms

    owner = {"PostForm": main_forms, "EditProfileForm": main_forms, "EmptyForm": forms}
    form_class = getattr(owner.get(form, post_forms), form)
    who = "bob" if form == "ReportForm" else "alice"
    client = logged_in(shared_app, who)
    change = elsewhere(shared_app, delete_user(people[who]))
    wait_before(monkeypatch, form_class, "validate_on_submit", change)

    response = client.submit(url.format(**people), data, page=page.format(**people))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your account no longer exists." in login_page
    assert client.get("/").status_code == 302  # logged out
    assert count(User) == 2


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/moderation/post/{post}/hide", "That post is already hidden."),
        ("/moderation/user/alice/suspend", "alice is already suspended."),
        ("/moderation/report/{report}/dismiss", "That report is already resolved."),
    ],
    ids=["hide", "suspend", "dismiss"],
)
def test_two_moderators_acting_at_once_write_one_audit_entry(
    shared_app, people, monkeypatch, url, says
):
    report = Report(post_id=people["post"], reporter_id=people["bob"], reason="rude")
    db.session.add(report)
    (other,) = add_users("other_mod")
    other.grant_role("moderator")
    db.session.commit()
    url = url.format(report=report.id, **people)
    first, second = logged_in(shared_app, "mod"), logged_in(shared_app, "other_mod")
    second_page = second.get(url).get_data(as_text=True)
    answers = []

    def the_other_moderator_first() -> None:
        # While the first moderator's request is under way, the second one's runs through
        # (and passes this point once only).
        if request.method == "POST" and not answers:
            answers.append(None)
            data = {"csrf_token": csrf_token_from(second_page), "reason": "fake"}
            (answers[0],) = at_once(lambda: second.post(url, data=data))

    wait_before(monkeypatch, ReasonForm, "validate_on_submit", the_other_moderator_first)

    response = first.submit(url, {"reason": "spam"}, follow_redirects=True)

    assert answers[0].status_code == 302
    assert says in response.get_data(as_text=True)
    assert count(AuditLog) == 1
    assert db.session.scalars(sa.select(AuditLog.reason)).all() == ["fake"]


def test_a_report_keeps_its_post_locked_until_it_is_saved(shared_app, people, monkeypatch):
    """A moderator hiding the post while a report of it is being saved waits for the report,
    then resolves it with the other open reports: it never stays open on a hidden post."""
    from app.posts import routes

    def try_to_hide() -> str:
        with shared_app.app_context(), db.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            wait = "PRAGMA busy_timeout = {}" if sqlite else "SET lock_timeout = '{}ms'"
            connection.exec_driver_sql(wait.format(100))
            try:
                connection.execute(hide_post(people["post"]))
                connection.rollback()
                return "went ahead"
            except sa.exc.OperationalError:  # SQLite: database is locked; PostgreSQL: lock timeout
                connection.rollback()
                return "waited"
            finally:
                connection.exec_driver_sql(wait.format(5000))

    checked, outcomes = routes.still_visible_or_404, []

    def check_then_try_to_hide(post_id: int) -> None:
        checked(post_id)
        outcomes.extend(at_once(try_to_hide))

    monkeypatch.setattr(routes, "still_visible_or_404", check_then_try_to_hide)
    client = logged_in(shared_app, "bob")

    response = client.submit(f"/post/{people['post']}/report", {"reason": "rude"})

    assert response.status_code == 302
    assert outcomes == ["waited"]
    assert count(Report) == 1
