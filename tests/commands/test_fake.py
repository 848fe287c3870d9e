"""``flask fake`` fills an empty database with data that looks like a real community."""

import statistics
from datetime import timedelta

import sqlalchemy as sa

from app.commands.fake import DEFAULT_PASSWORD
from app.models import POST_MAX_LENGTH, USERNAME_PATTERN, Post, User, followers
from app.models.types import utcnow

ARGS = ["fake", "--users", "60", "--posts", "900", "--follows", "8"]


def test_fake_fills_an_empty_database(runner, db, client, make_user):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert "Added 60 users" in result.output

    users = db.session.scalars(sa.select(User)).all()
    assert len(users) == 60
    assert all(USERNAME_PATTERN.match(u.username) for u in users)
    posts = db.session.execute(
        sa.select(Post.id, Post.timestamp, Post.body).order_by(Post.id)
    ).all()
    assert len(posts) == 900
    assert all(0 < len(body) <= POST_MAX_LENGTH for _, _, body in posts)
    times = [when for _, when, _ in posts]
    assert times == sorted(times)  # ids grow with time, as in real use
    assert utcnow() - timedelta(days=731) < times[0]
    assert times[-1] <= utcnow()

    # Skewed: a few people are followed by many, someone follows everybody.
    follower_counts = db.session.scalars(
        sa.select(sa.func.count()).select_from(followers).group_by(followers.c.followed_id)
    ).all()
    assert max(follower_counts) >= 3 * statistics.median(follower_counts)
    assert max(u.following_count() for u in users) == 59
    # Each follow began once both accounts existed, and not in the future.
    joined = dict(db.session.execute(sa.select(User.id, User.created_at)).all())
    follows = db.session.execute(
        sa.select(followers.c.follower_id, followers.c.followed_id, followers.c.created_at)
    ).all()
    assert all(max(joined[a], joined[b]) <= began <= utcnow() for a, b, began in follows)
    post_counts = db.session.scalars(
        sa.select(sa.func.count()).select_from(Post).group_by(Post.user_id)
    ).all()
    assert max(post_counts) >= 4 * statistics.median(post_counts)

    # Anyone can log in with the shared password; new sign-ups still get fresh ids.
    response = client.submit(
        "/auth/login", {"username": users[5].username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert make_user("newcomer").id == 61


def test_same_seed_same_data(runner, db):
    assert runner.invoke(args=[*ARGS, "--seed", "9"]).exit_code == 0
    first = db.session.execute(sa.select(User.username, User.about_me).order_by(User.id)).all()
    db.session.execute(sa.delete(User))
    db.session.commit()
    assert runner.invoke(args=[*ARGS, "--seed", "9"]).exit_code == 0
    again = db.session.execute(sa.select(User.username, User.about_me).order_by(User.id)).all()
    assert again == first


def test_fake_refuses_a_database_with_users(runner, db, alice):
    result = runner.invoke(args=ARGS)
    assert result.exit_code != 0
    assert "already has users" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_fake_makes_conversations_like_real_ones(runner, db):
    result = runner.invoke(args=["fake", "--users", "80", "--posts", "6000", "--follows", "8"])
    assert result.exit_code == 0, result.output
    posts = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Post.id,
                Post.user_id,
                Post.timestamp,
                Post.in_reply_to_id,
                Post.in_reply_to_user_id,
                Post.thread_path,
            )
        )
    }
    replies = [post for post in posts.values() if post.in_reply_to_id is not None]
    assert 0.1 * len(posts) < len(replies) < 0.3 * len(posts)
    # Each reply is newer than what it answers, names its author, and extends its path.
    for reply in replies:
        parent = posts[reply.in_reply_to_id]
        assert parent.timestamp < reply.timestamp
        assert reply.in_reply_to_user_id == parent.user_id
        parent_path = parent.thread_path or parent.id.to_bytes(4, "big")
        assert reply.thread_path == parent_path + reply.id.to_bytes(4, "big")
    answered = {}
    for reply in replies:
        answered[reply.in_reply_to_id] = answered.get(reply.in_reply_to_id, 0) + 1
    # Most posts get no reply; a few get hundreds; some exchanges go 20 deep.
    assert len(answered) < 0.15 * len(posts)
    assert max(answered.values()) >= 100
    assert max(len(reply.thread_path) // 4 for reply in replies) > 20
