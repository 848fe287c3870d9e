"""Every new page and action against every kind of visitor.

Anonymous visitors and suspended users (whose session ends) are sent to log in; plain users may
use their own posts and report others'; moderators also moderate; admins also manage roles.
"""

import pytest
import sqlalchemy as sa

from app.models import AuditLog, Post, Report, User, user_by_username
from app.models.types import utcnow
from tests.helpers import PERSONAS

LOGIN = "login"
# Expected status of a GET, per persona, for each group of pages.
EVERYONE = {"user": 200, "moderator": 200, "admin": 200}
NOT_AUTHOR = {"user": 403, "moderator": 403, "admin": 403}
MODERATORS = {"user": 403, "moderator": 200, "admin": 200}
ADMINS = {"user": 403, "moderator": 403, "admin": 200}

PAGES = [
    ("/post/{post}", EVERYONE),
    ("/post/{post}/report", EVERYONE),
    ("/post/{post}/edit", NOT_AUTHOR),
    ("/post/{post}/delete", NOT_AUTHOR),
    ("/moderation/", MODERATORS),
    ("/moderation/suspended", MODERATORS),
    ("/moderation/post/{post}/hide", MODERATORS),
    ("/moderation/post/{hidden}/unhide", MODERATORS),
    ("/moderation/user/bob/suspend", MODERATORS),
    ("/moderation/user/eve/unsuspend", MODERATORS),
    ("/moderation/report/{report}/dismiss", MODERATORS),
    ("/admin/", ADMINS),
    ("/admin/audit", ADMINS),
]


@pytest.fixture
def scene(db, alice, bob, make_user, make_post):
    """alice's post (reported by bob) and her hidden post; eve, suspended, and her post."""
    post = make_post(alice, "an ordinary post")
    hidden = make_post(alice, "a hidden post")
    hidden.hidden_at = utcnow()
    eve = make_user("eve")
    make_post(eve, "eve's post")
    eve.suspended_at = utcnow()
    report = Report(post=post, reporter=bob, reason="rude")
    db.session.add(report)
    db.session.commit()
    return {"post": post.id, "hidden": hidden.id, "report": report.id}


def _expected(persona: str, outcomes: dict) -> int | str:
    return LOGIN if persona in ("anonymous", "suspended") else outcomes[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("url", "outcomes"), PAGES)
def test_who_may_open_each_page(as_persona, scene, persona, url, outcomes):
    client = as_persona(persona)
    response = client.get(url.format(**scene))
    expected = _expected(persona, outcomes)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    else:
        assert response.status_code == expected
        page = response.get_data(as_text=True)
        assert "<title>" in page  # error pages too are in the site layout


def _changed(db, scene) -> dict:
    """The state every action below could change."""
    db.session.expire_all()
    post = db.session.get(Post, scene["post"])
    return {
        "post": post is not None and (post.body, post.hidden_at),
        "hidden": db.session.get(Post, scene["hidden"]).hidden_at is not None,
        "bob": user_by_username("bob").suspended_at,
        "eve": db.session.scalar(sa.select(User.suspended_at).where(User.username == "eve")),
        "report": db.session.get(Report, scene["report"]).resolved_at,
        "reports": db.session.scalar(sa.select(sa.func.count()).select_from(Report)),
        "audit": db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
        "roles": user_by_username("bob").role_names(),
    }


ACTIONS = [
    ("/post/{post}/edit", {"post": "changed"}, NOT_AUTHOR),
    ("/post/{post}/delete", {}, NOT_AUTHOR),
    ("/post/{post}/report", {"reason": "spam"}, EVERYONE),
    ("/moderation/post/{post}/hide", {"reason": "r"}, MODERATORS),
    ("/moderation/post/{hidden}/unhide", {"reason": "r"}, MODERATORS),
    ("/moderation/user/bob/suspend", {"reason": "r"}, MODERATORS),
    ("/moderation/user/eve/unsuspend", {"reason": "r"}, MODERATORS),
    ("/moderation/report/{report}/dismiss", {"reason": "r"}, MODERATORS),
    ("/admin/", {"username": "bob", "role": "moderator", "reason": "r", "grant": "1"}, ADMINS),
]
# Every (action, persona) pair that must be refused; the allowed ones have feature tests.
REFUSED = [
    pytest.param(url, data, persona, _expected(persona, outcomes), id=f"{url}-{persona}")
    for url, data, outcomes in ACTIONS
    for persona in PERSONAS
    if _expected(persona, outcomes) != 200
]


@pytest.mark.parametrize(("url", "data", "persona", "expected"), REFUSED)
def test_refused_actions_change_nothing(as_persona, db, scene, url, data, persona, expected):
    client = as_persona(persona)
    before = _changed(db, scene)
    token_page = "/auth/login" if persona in ("anonymous", "suspended") else "/explore"
    response = client.submit(url.format(**scene), data, page=token_page)
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    else:
        assert response.status_code == expected
    assert _changed(db, scene) == before


ALLOWED = [
    pytest.param(url, data, persona, id=f"{url}-{persona}")
    for url, data, outcomes in ACTIONS
    for persona in PERSONAS
    if _expected(persona, outcomes) == 200
]


@pytest.mark.parametrize(("url", "data", "persona"), ALLOWED)
def test_allowed_actions_take_effect(as_persona, db, scene, url, data, persona):
    client = as_persona(persona)
    before = _changed(db, scene)
    response = client.submit(url.format(**scene), data)
    assert response.status_code == 302
    assert _changed(db, scene) != before
