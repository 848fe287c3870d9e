"""The admin page: granting and revoking roles, and the audit log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import AuditLog, record_action, role_named, user_roles
from app.models.types import utcnow


@pytest.fixture
def boss(make_staff):
    """An admin."""
    return make_staff("boss", "admin")


@pytest.fixture
def boss_client(boss, client_for):
    """A browser logged in as the admin."""
    return client_for("boss")


def test_admin_grants_and_revokes_a_role(db, boss_client, bob):
    page = boss_client.get("/admin/").get_data(as_text=True)
    assert "boss" in page
    assert "bob" not in page  # only staff are listed
    data = {"username": "BOB", "role": "moderator", "reason": "trusted", "grant": "Grant role"}
    response = boss_client.submit("/admin/", data)
    assert response.headers["Location"] == "/admin/"
    assert bob.role_names() == ["moderator"]
    assert "moderator" in boss_client.get("/admin/").get_data(as_text=True)

    data = {**data, "reason": "stepped down", "revoke": "Revoke role"}
    del data["grant"]
    boss_client.submit("/admin/", data)
    db.session.refresh(bob)
    assert bob.role_names() == []
    log = boss_client.get("/admin/audit").get_data(as_text=True)
    assert "role.grant" in log
    assert "moderator: trusted" in log
    assert "role.revoke" in log
    assert "moderator: stepped down" in log


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"username": "ghost", "role": "moderator", "reason": "r"},
            "There is no user called ghost.",
        ),
        ({"username": "bob", "role": "emperor", "reason": "r"}, "Not a valid choice"),
        ({"username": "bob", "role": "moderator", "reason": ""}, "Please give a reason."),
        ({"username": "", "role": "moderator", "reason": "kept"}, "This field is required."),
    ],
)
def test_bad_role_changes_are_explained(db, boss_client, bob, data, message):
    response = boss_client.submit("/admin/", {**data, "grant": "Grant role"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert data["reason"] in page
    assert bob.role_names() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


def test_granting_twice_and_revoking_what_is_not_held(db, boss_client, bob):
    data = {"username": "bob", "role": "admin", "reason": "r"}
    page = boss_client.submit("/admin/", {**data, "revoke": "1"}).get_data(as_text=True)
    assert "bob does not have that role." in page
    boss_client.submit("/admin/", {**data, "grant": "1"})
    page = boss_client.submit("/admin/", {**data, "grant": "1"}).get_data(as_text=True)
    assert "bob already has that role." in page


def test_admin_cannot_revoke_own_admin_role(boss_client, boss):
    data = {"username": "boss", "role": "admin", "reason": "oops", "revoke": "1"}
    page = boss_client.submit("/admin/", data).get_data(as_text=True)
    assert "cannot revoke your own admin role" in page
    assert boss.has_role("admin")


def test_role_change_takes_effect_on_next_request(db, boss_client, bob, client_for):
    bob_client = client_for("bob")
    assert bob_client.get("/moderation/").status_code == 403
    boss_client.submit(
        "/admin/", {"username": "bob", "role": "moderator", "reason": "r", "grant": "1"}
    )
    assert bob_client.get("/moderation/").status_code == 200
    assert bob_client.get("/admin/").status_code == 403


def test_audit_log_shows_who_what_when_why_newest_first(db, boss_client, boss, bob, make_post):
    post = make_post(bob, "some post")
    start = utcnow() - timedelta(hours=1)
    for n in range(4):
        entry = record_action(boss, "post.hide", post, f"reason <{n}>")
        entry.created_at = start + timedelta(minutes=n)
    record_action(None, "user.disable", bob, "from the command line")
    db.session.commit()
    first = boss_client.get("/admin/audit").get_data(as_text=True)
    assert "command line" in first
    assert "user.disable" in first
    assert "reason &lt;3&gt;" in first
    assert f'href="/post/{post.id}"' in first
    assert 'href="/user/bob"' in first
    assert "<time datetime=" in first
    assert "reason &lt;0&gt;" not in first  # three entries per page in tests
    assert 'rel="next"' in first


def test_audit_log_links_to_the_account_acted_on_even_after_a_rename(
    db, boss_client, boss, bob, make_user
):
    """An entry names the account as it was called then, but links to the account itself: once
    bob is renamed, his old name may belong to someone else, and a deleted account has no page."""
    record_action(boss, "user.suspend", bob, "spam")
    bob.username = "bobby"
    make_user("bob", email="new.bob@example.com")
    carol = make_user("carol")
    record_action(boss, "user.suspend", carol, "spam")
    db.session.commit()
    db.session.delete(carol)
    db.session.commit()
    log = boss_client.get("/admin/audit").get_data(as_text=True)
    assert 'href="/user/bobby"' in log
    assert 'href="/user/bob"' not in log  # the newcomer who took the name
    assert 'href="/user/carol"' not in log
    assert log.count('class="target-label"') == 2  # both still named as they were


def test_simultaneous_role_change_gives_a_form_error(db, boss_client, bob):
    def other_admin_was_faster(session, _context, _instances):
        row = {"user_id": bob.id, "role_id": role_named("moderator").id, "created_at": utcnow()}
        session.execute(sa.insert(user_roles).values(row))

    data = {"username": "bob", "role": "moderator", "reason": "r", "grant": "1"}
    sa.event.listen(db.session, "before_flush", other_admin_was_faster, once=True)
    try:
        response = boss_client.submit("/admin/", data)
    finally:
        if sa.event.contains(db.session, "before_flush", other_admin_was_faster):
            sa.event.remove(db.session, "before_flush", other_admin_was_faster)
    assert response.status_code == 200
    assert "Someone else just changed the roles of bob" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


def test_role_form_preselects_moderator_not_admin(boss_client):
    """Enter in the form grants with whatever is selected: that must not be the admin role."""
    page = boss_client.get("/admin/").get_data(as_text=True)
    assert '<option selected value="moderator">Moderator</option>' in page
    assert '<option value="admin">Admin</option>' in page
