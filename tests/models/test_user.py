"""The model API as used from ``flask shell``."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import has_request_context, url_for

from app.models import Post, User, followers, profile_stats, user_by_email, user_by_username
from app.models.types import utcnow
from app.models.user import who_to_follow_statement
from app.web.urls import avatar_url


def test_password_hashing(alice):
    assert alice.password_hash != "correct horse battery"
    assert alice.check_password("correct horse battery")
    assert not alice.check_password("wrong")


def test_user_without_password_cannot_log_in(db):
    user = User(username="nopass", email="n@example.com")
    assert not user.check_password("")


def test_avatar_is_served_by_this_site(app, alice):
    with app.test_request_context():
        url = avatar_url(alice.id, 64)
    assert url == f"/avatar/{alice.id}/64.svg"


def test_avatar(db):
    # The Mega-Tutorial's model test, in the shape it has there: a URL string back, here from
    # an app context alone (as in ``flask shell``), with no request to build URLs from.
    u = User(username="john", email="john@example.com")
    db.session.add(u)
    db.session.commit()
    assert not has_request_context()
    assert u.avatar(128) == f"/avatar/{u.id}/128.svg"


def test_avatar_matches_the_route_and_is_served(app, client, alice):
    with app.test_request_context():
        assert (
            alice.avatar(48)
            == avatar_url(alice.id, 48)
            == url_for("main.avatar", user_id=alice.id, size=48)
        )
    response = client.get(alice.avatar(48))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"


def test_an_unsaved_user_has_no_avatar_yet(db):
    with pytest.raises(ValueError, match="once saved"):
        User(username="john", email="john@example.com").avatar()


def test_who_to_follow_suggests_whom_the_people_you_follow_follow(db, make_user, monkeypatch):
    alice, bob, carol, dave, erin, frank, gina = (
        make_user(name) for name in ("alice", "bob", "carol", "dave", "erin", "frank", "gina")
    )
    for follower, followed in [
        (alice, bob), (alice, carol), (alice, erin),
        (bob, dave), (bob, erin), (bob, frank),
        (carol, dave), (carol, alice), (carol, gina),
    ]:  # fmt: skip
        follower.follow(followed)
    frank.suspended_at = utcnow()
    db.session.commit()

    def suggested(user: User, limit: int = 3) -> list[str]:
        return [u.username for u in db.session.scalars(user.who_to_follow(limit))]

    # dave is followed by two of alice's, gina by one; not erin (followed), frank (suspended)
    # or alice herself.
    assert suggested(alice) == ["dave", "gina"]
    prepared = db.session.execute(who_to_follow_statement(), {"user_id": alice.id})
    assert [name for _, name in prepared] == ["dave", "gina"]  # the pages' statement
    assert suggested(alice, limit=1) == ["dave"]
    assert suggested(dave) == []  # follows nobody
    # It looks only through the accounts followed most recently: bob, here, and not carol,
    # through whom alone gina comes.
    db.session.execute(
        followers.update()
        .where(followers.c.follower_id == alice.id, followers.c.followed_id == bob.id)
        .values(created_at=utcnow() + timedelta(minutes=1))
    )
    monkeypatch.setattr("app.models.user.SUGGESTION_SOURCES", 1)
    assert suggested(alice) == ["dave"]
    monkeypatch.setattr("app.models.user.SUGGESTION_SOURCES", 3)
    assert suggested(alice) == ["dave", "gina"]


def test_follow_unfollow(db, alice, bob):
    assert not alice.is_following(bob)
    alice.follow(bob)
    db.session.commit()
    assert alice.is_following(bob)
    assert not bob.is_following(alice)
    assert alice.following_count() == 1
    assert bob.followers_count() == 1
    assert db.session.scalars(bob.followers.select()).all() == [alice]
    assert db.session.scalars(alice.following.select()).all() == [bob]
    alice.unfollow(bob)
    db.session.commit()
    assert not alice.is_following(bob)
    assert alice.following_count() == 0
    assert bob.followers_count() == 0


def test_follow_and_unfollow_are_idempotent(db, alice, bob):
    alice.follow(bob)
    alice.follow(bob)
    db.session.commit()
    assert bob.followers_count() == 1
    alice.unfollow(bob)
    alice.unfollow(bob)
    db.session.commit()
    assert bob.followers_count() == 0


def test_nobody_follows_themselves(db, alice):
    with pytest.raises(ValueError, match="yourself"):
        alice.follow(alice)
    assert alice.following_count() == 0


def test_timeline_order_across_four_users(db, make_user, make_post):
    john, susan, mary, david = (make_user(n) for n in ("john", "susan", "mary", "david"))
    now = datetime.now(UTC)
    p1 = make_post(john, "post from john", now + timedelta(seconds=1))
    p2 = make_post(susan, "post from susan", now + timedelta(seconds=4))
    p3 = make_post(mary, "post from mary", now + timedelta(seconds=3))
    p4 = make_post(david, "post from david", now + timedelta(seconds=2))
    john.follow(susan)
    john.follow(david)
    susan.follow(mary)
    mary.follow(david)
    db.session.commit()

    def timeline(user):
        return db.session.scalars(user.following_posts()).all()

    assert timeline(john) == [p2, p4, p1]
    assert timeline(susan) == [p2, p3]
    assert timeline(mary) == [p3, p4]
    assert timeline(david) == [p4]


def test_same_timestamp_ordered_by_id(db, alice, make_post):
    when = datetime.now(UTC)
    first = make_post(alice, "one", when)
    second = make_post(alice, "two", when)
    assert db.session.scalars(alice.following_posts()).all() == [second, first]


def test_posts_relationship_and_count(db, alice, bob, make_post):
    make_post(alice, "a1")
    make_post(alice, "a2")
    make_post(bob, "b1")
    assert sorted(p.body for p in db.session.scalars(alice.posts.select())) == ["a1", "a2"]
    assert alice.posts_count() == 2
    assert bob.posts_count() == 1


@pytest.mark.parametrize("viewer_name", [None, "alice", "bob", "carol"])
def test_profile_stats_are_the_separate_figures(db, alice, bob, make_user, make_post, viewer_name):
    carol = make_user("carol")
    for n in range(3):
        make_post(alice, f"a{n}")
    db.session.scalars(alice.posts.select()).first().hidden_at = utcnow()  # alice still sees it
    bob.follow(alice)
    alice.follow(carol)
    db.session.commit()
    viewer = {"alice": alice, "bob": bob, "carol": carol}.get(viewer_name)
    stats = profile_stats(alice, viewer)
    assert stats == (
        alice.posts_count(viewer),
        alice.followers_count(),
        alice.following_count(),
        viewer is not None and viewer.is_following(alice),
        viewer is not None and alice.is_following(viewer),
    )
    assert stats.posts == (3 if viewer_name == "alice" else 2)
    assert (stats.followers, stats.following) == (1, 1)
    assert stats.followed_by_viewer == (viewer_name == "bob")
    assert stats.follows_viewer == (viewer_name == "carol")


def test_username_unique_ignoring_case(db, alice):
    db.session.add(User(username="ALICE", email="other@example.com"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert user_by_username("AlIcE") == alice


def test_email_stored_lower_case_and_unique(db):
    user = User(username="carol", email="  Carol@Example.COM ")
    db.session.add(user)
    db.session.commit()
    assert user.email == "carol@example.com"
    assert user_by_email("CAROL@example.com") == user
    db.session.add(User(username="carol2", email="carol@EXAMPLE.com"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()


def test_timestamps_are_aware_utc(db, alice, make_post):
    post = make_post(alice)
    db.session.expire_all()
    reloaded = db.session.get(Post, post.id)
    assert reloaded.timestamp.tzinfo is not None
    assert reloaded.timestamp.utcoffset() == timedelta(0)
    user = db.session.get(User, alice.id)
    for value in (user.created_at, user.updated_at, user.last_seen):
        assert value.utcoffset() == timedelta(0)


def zone(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


def test_aware_timestamps_read_back_as_the_same_instant_in_utc(db, alice, make_post):
    written = datetime(2024, 5, 17, 14, 30, 15, 123456, tzinfo=zone(2))
    post = make_post(alice, "x", written)
    db.session.expire_all()
    read = db.session.get(Post, post.id).timestamp
    assert read == written
    assert read.tzinfo is UTC
    assert (read.hour, read.minute, read.second, read.microsecond) == (12, 30, 15, 123456)


def test_timestamps_sort_and_compare_as_instants_whatever_their_offset(db, alice, make_post):
    noon = datetime(2024, 5, 17, 12, 0, tzinfo=UTC)
    # The later post has the earlier wall-clock time: stored offsets would sort them wrongly.
    early = make_post(alice, "early", noon.astimezone(zone(9)))  # 21:00 +09:00
    late = make_post(alice, "late", (noon + timedelta(minutes=1)).astimezone(zone(-5)))  # 07:01
    assert db.session.scalars(alice.authored_posts()).all() == [late, early]
    since = noon.astimezone(zone(5.5))  # 17:30 +05:30
    assert db.session.scalars(sa.select(Post).where(Post.timestamp > since)).all() == [late]


def test_naive_datetimes_are_refused(db, alice):
    db.session.add(Post(body="x", author=alice, timestamp=datetime(2024, 1, 1)))  # noqa: DTZ001
    with pytest.raises(sa.exc.StatementError, match="naive"):
        db.session.commit()


def test_naive_datetimes_are_refused_in_queries(db):
    naive = datetime(2024, 1, 1)  # noqa: DTZ001
    with pytest.raises(sa.exc.StatementError, match="naive"):
        db.session.scalars(sa.select(User).where(User.last_seen > naive))


def test_follow_rows_must_point_at_real_accounts(db, alice):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.insert(followers).values(follower_id=alice.id, followed_id=alice.id + 1000)
        )
    db.session.rollback()
    assert alice.following_count() == 0


def test_last_seen_written_at_most_once_a_minute(alice):
    start = alice.last_seen
    assert not alice.touch_last_seen(start + timedelta(seconds=30))
    assert alice.last_seen == start
    assert alice.touch_last_seen(start + timedelta(seconds=61))
    assert alice.last_seen == start + timedelta(seconds=61)


def test_deleting_a_user_removes_posts_and_follows(db, alice, bob, make_post):
    make_post(alice)
    alice.follow(bob)
    bob.follow(alice)
    db.session.commit()
    db.session.delete(alice)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    assert bob.followers_count() == 0
    assert bob.following_count() == 0
