"""Stored counts (``user_stats``, ``post_stats``) against counts from scratch, through every
change."""

import sqlalchemy as sa

from app.models import (
    Like,
    Post,
    User,
    counted_replies,
    like,
    like_count,
    post_stats,
    profile_stats,
    unlike,
    user_stats,
)
from app.models.counts import drop_triggers, ensure_user_stats, present_triggers, trigger_names
from app.models.types import utcnow
from app.models.user import post_visible_to
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


def counted_from_scratch(db) -> dict[int, int]:
    """Each post's likes by accounts that are not suspended, counted in ``post_like``."""
    suspended = sa.select(User.id).where(User.suspended_at.is_not(None))
    rows = db.session.execute(
        sa.select(Like.post_id, sa.func.count())
        .where(Like.user_id.not_in(suspended))
        .group_by(Like.post_id)
    )
    return dict(rows.all())


def assert_like_counts_right(db) -> None:
    """Every post's stored like count (what cards show) is the count from scratch."""
    db.session.expire_all()
    expected = counted_from_scratch(db)
    for post_id in db.session.scalars(sa.select(Post.id)):
        assert like_count(post_id) == expected.get(post_id, 0), post_id
    # No row for a post that is gone (its row goes with it).
    stored = set(db.session.scalars(sa.select(post_stats.c.post_id)))
    assert stored <= set(db.session.scalars(sa.select(Post.id)))


def replies_from_scratch(db) -> dict[int, int]:
    """Each post's direct replies everyone may see, counted in ``post``."""
    reply = Post.__table__.alias("reply")
    rows = db.session.execute(
        sa.select(reply.c.in_reply_to_id, sa.func.count())
        .where(post_visible_to(reply, None), reply.c.in_reply_to_id.in_(sa.select(Post.id)))
        .group_by(reply.c.in_reply_to_id)
    )
    return dict(rows.all())


def reply_count(db, post_id: int) -> int:
    return db.session.scalar(counted_replies(sa.literal(post_id)))


def assert_reply_counts_right(db) -> None:
    """Every post's stored reply count (what cards show) is the count from scratch."""
    db.session.expire_all()
    expected = replies_from_scratch(db)
    for post_id in db.session.scalars(sa.select(Post.id)):
        assert reply_count(db, post_id) == expected.get(post_id, 0), post_id
    stored = set(db.session.scalars(sa.select(post_stats.c.post_id)))
    assert stored <= set(db.session.scalars(sa.select(Post.id)))


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
    post = Post(body="unseen by the counts", author=ben)
    db.session.add(post)
    db.session.flush()
    like(ann, post)
    post.reply(ann, "unseen by the counts too")
    db.session.flush()
    assert profile_stats(ben, ann)[:2] == (0, 0)
    assert like_count(post.id) == 0
    assert reply_count(db, post.id) == 0

    ensure_user_stats(connection)
    assert present_triggers(connection) == trigger_names(connection.dialect.name)
    db.session.commit()
    assert_counts_right(db)
    assert_like_counts_right(db)
    assert_reply_counts_right(db)
    assert like_count(post.id) == 1
    assert reply_count(db, post.id) == 1


def test_like_counts_stay_right_through_every_change(db):
    ann, ben, cat, dan = add_users("ann", "ben", "cat", "dan")
    posts = [Post(body=f"post {n}", author=author) for n, author in enumerate([ann, ben, ben])]
    db.session.add_all(posts)
    db.session.commit()
    assert_like_counts_right(db)

    for who in (ann, ben, cat, dan):
        like(who, posts[0])
    like(cat, posts[1])
    like(cat, posts[0])  # again: no second row, no second count
    db.session.commit()
    assert_like_counts_right(db)
    assert like_count(posts[0].id) == 4

    unlike(dan, posts[0])
    unlike(dan, posts[1])  # never liked: nothing changes
    db.session.commit()
    assert_like_counts_right(db)

    # Suspended, cat's likes leave every count (posts[1]'s goes to 0); lifted, they come back.
    cat.suspended_at = utcnow()
    db.session.commit()
    assert_like_counts_right(db)
    assert like_count(posts[1].id) == 0
    cat.suspended_at = utcnow()  # a new time, still suspended: no second change
    db.session.commit()
    assert_like_counts_right(db)
    # A like or unlike while suspended (through ``flask shell``: no page lets them) counts not.
    like(cat, posts[2])
    unlike(cat, posts[1])
    db.session.commit()
    assert_like_counts_right(db)
    cat.suspended_at = None
    db.session.commit()
    assert_like_counts_right(db)
    assert like_count(posts[2].id) == 1  # its first counted like came with the lifting

    # An account that goes takes its likes out of the counts, suspended or not.
    dan.suspended_at = utcnow()
    like(dan, posts[1])
    db.session.commit()
    db.session.execute(sa.delete(User).where(User.id.in_([dan.id, ben.id])))
    db.session.commit()
    assert_like_counts_right(db)
    # So does a post, with its counts row.
    db.session.execute(sa.delete(Post).where(Post.id == posts[0].id))
    db.session.commit()
    assert_like_counts_right(db)
    assert like_count(posts[0].id) == 0


def test_reply_counts_stay_right_through_every_change(db):
    ann, ben, cat, dan = add_users("ann", "ben", "cat", "dan")
    root = Post(body="root", author=ann)
    other = Post(body="another", author=ben)
    db.session.add_all([root, other])
    db.session.flush()
    replies = [root.reply(who, f"reply by {who.username}") for who in (ben, cat, cat, ann)]
    nested = replies[0].reply(dan, "a reply to a reply")
    other.reply(cat, "cat answers ben")
    db.session.commit()
    assert_reply_counts_right(db)
    assert reply_count(db, root.id) == 4
    assert reply_count(db, replies[0].id) == 1

    # Hidden, a reply leaves its parent's count; unhidden, it comes back.
    replies[1].hide(ben)
    db.session.commit()
    assert_reply_counts_right(db)
    assert reply_count(db, root.id) == 3
    replies[1].unhide()
    db.session.commit()
    assert_reply_counts_right(db)

    # Suspended, cat's replies leave every count; lifted, they come back. A reply made or
    # hidden meanwhile (``flask shell``: no page lets a suspended account post) counts not.
    cat.suspended_at = utcnow()
    db.session.commit()
    assert_reply_counts_right(db)
    assert (reply_count(db, root.id), reply_count(db, other.id)) == (2, 0)
    cat.suspended_at = utcnow()  # a new time, still suspended: no second change
    late = root.reply(cat, "while suspended")
    replies[2].hide(ben)
    db.session.commit()
    assert_reply_counts_right(db)
    cat.suspended_at = None
    db.session.commit()
    assert_reply_counts_right(db)
    assert reply_count(db, root.id) == 4  # replies[1] and the late one; replies[2] is hidden

    # A deleted reply leaves the count; a deleted parent takes its row, and its replies
    # (which outlive it) count nowhere, even when unhidden.
    db.session.delete(late)
    db.session.commit()
    assert_reply_counts_right(db)
    db.session.execute(sa.delete(Post).where(Post.id == replies[0].id))
    db.session.commit()
    assert_reply_counts_right(db)
    nested = db.session.get(Post, nested.id)
    nested.hide(ben)
    db.session.commit()
    nested.unhide()
    db.session.commit()
    assert_reply_counts_right(db)

    # An account that goes takes its replies out of the counts, suspended or not.
    dan.suspended_at = utcnow()
    db.session.commit()
    root.reply(dan, "said while suspended")
    db.session.commit()
    db.session.execute(sa.delete(User).where(User.id.in_([dan.id, cat.id])))
    db.session.commit()
    assert_reply_counts_right(db)
    assert reply_count(db, root.id) == 1  # ann's own reply


def test_a_parent_and_its_replies_deleted_in_one_statement(db):
    # Counts rows written in the same transaction, then every account deleted at once: the
    # cascade deletes parents and replies together (a count row updated after its post went
    # would fail its foreign key on PostgreSQL).
    ann, ben = add_users("ann", "ben")
    root = Post(body="root", author=ann)
    db.session.add(root)
    db.session.flush()
    first = root.reply(ben, "one")
    first.reply(ann, "two")
    root.reply(ann, "three")
    db.session.flush()
    assert reply_count(db, root.id) == 2
    db.session.execute(sa.delete(User))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(post_stats)) == 0
