"""``flask feed rebuild`` makes every home feed again, with the configured settings."""

import sqlalchemy as sa

from app.models import home_feed, home_feed_author, home_feed_horizon
from app.models.counts import drop_triggers, ensure_user_stats
from app.models.feed import short_feed_readers
from tests.listings.test_timeline import assert_every_home_matches


def test_rebuild_brings_feeds_back_after_a_bulk_load(runner, db, make_user, make_post):
    people = [make_user(f"reader{n}") for n in range(6)]
    for follower in people[1:]:
        follower.follow(people[0])  # 5 followers: over the test limit of 3
    people[1].follow(people[2])
    db.session.commit()
    # A bulk load sets the triggers aside, which switches every feed off.
    with db.engine.begin() as connection:
        drop_triggers(connection)
    for n, author in enumerate(people[:3] * 3):
        make_post(author, f"bulk {n}")
    with db.engine.begin() as connection:
        ensure_user_stats(connection)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed_horizon)) == 0

    result = runner.invoke(args=["feed", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the home feeds (6 posts each, accounts with more than 3 followers" in (
        result.output
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(home_feed_horizon)) == 6
    assert set(db.session.scalars(sa.select(home_feed_author.c.user_id))) == {people[0].id}
    # The merged account's posts are read at page time (only its own feed has them), the
    # others' are in their followers' feeds.
    rows = db.session.execute(sa.select(home_feed.c.user_id, home_feed.c.author_id)).all()
    assert {reader for reader, author in rows if author == people[0].id} == {people[0].id}
    assert (people[1].id, people[2].id) in rows
    assert_every_home_matches(db, people, 2)

    # The triggers are back: a new post goes into its followers' feeds.
    post = make_post(people[2], "after the rebuild")
    readers = db.session.scalars(
        sa.select(home_feed.c.user_id).where(home_feed.c.post_id == post.id)
    )
    assert set(readers) == {people[1].id, people[2].id}
    assert_every_home_matches(db, people, 2)


def test_refill_makes_again_only_feeds_left_short(runner, db, make_user, make_post):
    reader, author, other = make_user("reader"), make_user("author"), make_user("other")
    reader.follow(author)
    other.follow(reader)
    db.session.commit()
    posts = [make_post(author, f"post {n}") for n in range(8)]  # trims the feed (size 6)
    make_post(reader, "kept")
    result = runner.invoke(args=["feed", "refill", "--rows", "2"])
    assert "Refilled 0 home feeds with fewer than 2 rows" in result.output
    for post in posts[-6:]:
        db.session.delete(post)
    db.session.commit()
    before = db.session.execute(
        sa.select(home_feed).where(home_feed.c.user_id != reader.id).order_by(*home_feed.c)
    ).all()

    result = runner.invoke(args=["feed", "refill", "--rows", "2"])
    assert result.exit_code == 0, result.output
    assert "Refilled 2 home feeds with fewer than 2 rows" in result.output  # reader, author
    after = db.session.execute(
        sa.select(home_feed).where(home_feed.c.user_id != reader.id).order_by(*home_feed.c)
    ).all()
    assert short_feed_readers(db.session.connection(), 2) == []
    assert [r for r in after if r.user_id == other.id] == [
        r for r in before if r.user_id == other.id
    ]
    assert_every_home_matches(db, [reader, author, other], 2)
