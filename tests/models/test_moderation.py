"""Roles, visibility rules, reports and the audit log at the model level (``flask shell``)."""

import pytest
import sqlalchemy as sa

from app.listings.keyset import keyset_page
from app.listings.posts import explore_cards
from app.models import (
    AuditLog,
    Report,
    Role,
    ensure_roles,
    record_action,
    resolve_reports,
    role_named,
    staff_members,
    user_roles,
)
from app.models.types import utcnow
from app.web.permissions import require_role


def bodies(db, stmt) -> list[str]:
    return [post.body for post in db.session.scalars(stmt)]


@pytest.fixture
def timeline(db, alice, bob, make_user, make_post):
    """alice follows bob and eve; each wrote one post; bob's is then hidden, eve suspended."""
    eve = make_user("eve")
    alice.follow(bob)
    alice.follow(eve)
    for user in (alice, bob, eve):
        make_post(user, f"by {user.username}")
    bob_post = db.session.scalars(bob.authored_posts()).one()
    bob_post.hidden_at = utcnow()
    eve.suspended_at = utcnow()
    db.session.commit()
    return {"alice": alice, "bob": bob, "eve": eve}


def test_listings_leave_out_hidden_posts_and_suspended_authors(db, timeline):
    alice, bob, eve = timeline["alice"], timeline["bob"], timeline["eve"]
    assert bodies(db, alice.following_posts()) == ["by alice"]
    assert bodies(db, bob.following_posts()) == ["by bob"]  # authors see their hidden posts
    assert set(bodies(db, bob.authored_posts(bob))) == {"by bob"}
    assert bodies(db, bob.authored_posts(alice)) == []
    assert bodies(db, eve.authored_posts(alice)) == []
    assert bodies(db, eve.authored_posts()) == []
    assert bob.posts_count(alice) == 0
    assert bob.posts_count(bob) == 1


def test_explore_query_takes_the_viewer(db, timeline):
    def explore_bodies(viewer=None):
        return [card.body for card in keyset_page(explore_cards(viewer), 10).items]

    assert explore_bodies() == ["by alice"]
    assert set(explore_bodies(timeline["bob"])) == {"by alice", "by bob"}


def test_single_post_visibility(db, timeline, make_user):
    alice, bob = timeline["alice"], timeline["bob"]
    bob_post = db.session.scalars(bob.authored_posts(bob)).one()
    assert bob_post.is_visible_to(bob)
    assert not bob_post.is_visible_to(alice)
    moderator = make_user("mod")
    moderator.grant_role("moderator")
    assert bob_post.is_visible_to(moderator)


def test_admin_includes_moderator(db, alice):
    assert not alice.has_role("moderator")
    assert alice.grant_role("admin")
    assert not alice.grant_role("admin")
    db.session.commit()
    assert alice.has_role("admin")
    assert alice.has_role("moderator")
    assert alice.role_names() == ["admin"]
    assert db.session.scalars(staff_members()).all() == [alice]
    assert alice.revoke_role("admin")
    assert not alice.revoke_role("admin")


def test_roles_are_created_once_and_unknown_ones_refused(db):
    ensure_roles()
    ensure_roles()
    names = db.session.scalars(sa.select(Role.name).order_by(Role.name)).all()
    assert names == ["admin", "moderator"]
    assert role_named("admin").name == "admin"
    with pytest.raises(ValueError, match="no role called"):
        role_named("superuser")
    with pytest.raises(ValueError, match="no role called"):
        require_role("superuser")


def test_role_table_links_are_timestamped_and_cascade(db, alice):
    alice.grant_role("moderator")
    db.session.commit()
    created = db.session.scalar(sa.select(user_roles.c.created_at))
    assert created.tzinfo is not None
    db.session.delete(alice)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(user_roles)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Role)) == 2


def test_audit_log_and_reports_outlive_the_people_in_them(db, alice, bob, make_post):
    post = make_post(bob, "x" * 140)
    report = Report(post=post, reporter=alice, reason="why")
    db.session.add(report)
    entry = record_action(alice, "post.hide", post, "because")
    db.session.commit()
    assert entry.target_label == ("bob: " + "x" * 140)[:64]
    resolve_reports(post, alice)
    db.session.delete(alice)
    db.session.commit()
    db.session.refresh(entry)
    db.session.refresh(report)
    assert (entry.actor_id, entry.actor_label, entry.reason) == (None, "alice", "because")
    assert (report.reporter_id, report.resolved_by_id, report.is_open) == (None, None, False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1


def test_one_open_report_per_person_and_post(db, alice, bob, make_post):
    post = make_post(bob, "y")
    db.session.add(Report(post=post, reporter=alice, reason="one"))
    db.session.commit()
    db.session.add(Report(post=post, reporter=alice, reason="two"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    resolve_reports(post, bob)
    db.session.add(Report(post=post, reporter=alice, reason="three"))
    db.session.commit()  # once the first is resolved, a new report is welcome
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 2


def test_anonymous_viewers_see_only_public_posts(db, timeline):
    from app.web.permissions import AnonymousUser

    alice_post = db.session.scalars(timeline["alice"].authored_posts()).one()
    bob_post = db.session.scalars(timeline["bob"].authored_posts(timeline["bob"])).one()
    assert alice_post.is_visible_to(AnonymousUser())
    assert not bob_post.is_visible_to(AnonymousUser())
