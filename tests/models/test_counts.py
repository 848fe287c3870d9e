"""Stored counts (``user_stats``) against counts from scratch, through every change."""

import sqlalchemy as sa

from app.models import Post, User, profile_stats, user_stats
from app.models.counts import drop_triggers, ensure_user_stats, present_triggers, trigger_names
from app.models.types import utcnow
from tests.helpers import add_users


def assert_counts_right(db) -> None:
    """Every profile, as its owner and as each other user sees it, shows what counting the
    rows from scratch (:meth:`User.posts_count` and the rest) gives."""
    db.session.expire_all()
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    for user in users:
        for viewer in [None, *users]:
            assert profile_stats(user, viewer)[:3] == (
                user.posts_count(viewer),
                user.followers_count(),
                user.following_count(),
            ), (user, viewer)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(user_stats)) == len(users)


def test_counts_stay_right_through_every_change(db):
    ann, ben, cat, dan = add_users("ann", "ben", "cat", "dan")
    assert_counts_right(db)

    for follower, followed in [(ann, ben), (ann, cat), (ben, ann), (cat, ben), (dan, ben)]:
        follower.follow(followed)
    ann.follow(ben)  # again: no second row, no second count
    db.session.commit()
    assert_counts_right(db)

    posts = [Post(body=f"post {n}", author=author) for n, author in enumerate([ben, ben, cat])]
    db.session.add_all(posts)
    db.session.flush()
    reply = posts[0].reply(ann, "a reply")
    db.session.commit()
    assert_counts_right(db)

    posts[1].hide(dan)
    reply.hide(dan)
    db.session.commit()
    assert_counts_right(db)
    posts[1].unhide()
    db.session.commit()
    assert_counts_right(db)

    ben.suspended_at = utcnow()
    db.session.commit()
    assert_counts_right(db)
    ben.suspended_at = None

    ann.unfollow(cat)
    ann.unfollow(dan)  # not followed: nothing changes
    db.session.execute(sa.delete(Post).where(Post.id == posts[2].id))
    db.session.delete(reply)
    db.session.commit()
    assert_counts_right(db)

    # Deleting an account cascades to its follows and posts in the database itself.
    db.session.execute(sa.delete(User).where(User.id == ben.id))
    db.session.commit()
    assert_counts_right(db)


def test_recount_repairs_counts_and_triggers(db):
    ann, ben = add_users("ann", "ben")
    connection = db.session.connection()

    drop_triggers(connection)
    assert present_triggers(connection) == set()
    ann.follow(ben)
    db.session.add(Post(body="unseen by the counts", author=ben))
    db.session.flush()
    assert profile_stats(ben, ann)[:2] == (0, 0)

    ensure_user_stats(connection)
    assert present_triggers(connection) == trigger_names(connection.dialect.name)
    db.session.commit()
    assert_counts_right(db)
