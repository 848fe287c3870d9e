"""Likes for ``flask fake``: a few posts get thousands, most get a handful or none.

Shaped like a real site: half the likes go to a small pool of "hot" posts (a two-hundredth of
them) with Zipf weights, so the hottest gets some thousands at the benchmark's L; the other
half fall on posts drawn evenly. Each like comes after both its post and its liker existed,
most of them soon after the post. As for follows and posts (:mod:`app.commands.fake_sql`),
Python only picks the hot posts and their weights; the database draws the likes with
``INSERT ... SELECT``, the likes of a range of accounts per statement, a second like of a post
by the same person left out (so a few fewer than drawn are made).
"""

from __future__ import annotations

import contextlib
import random
import threading

import click
import sqlalchemy as sa

from app.commands.fake_sql import (
    Dialect,
    keep_temp_tables_in_memory,
    posted_at,
    quoted,
    write_rows,
)
from app.models import Like, Post, User
from app.models.types import utcnow

HOT_SHARE = 0.005
"""This share of the posts is the pool that draws half of the likes, some far more than others."""
HOT_LIKES = 0.5
"""The share of the likes that go to the hot pool."""
SLOTS_PER_HOT_POST = 20  # resolution of the Zipf draw among the hot posts
LIKE_CHUNK = 250_000  # likes drawn per statement
TEMP_TABLES = ("fake_liker", "fake_hot")
FAKE_HOT = sa.Table(
    "fake_hot", sa.MetaData(), sa.Column("slot", sa.Integer), sa.Column("post_id", sa.Integer)
)


def add_likes(
    engine: sa.Engine,
    rng: random.Random,
    per_user: int,
    stop: threading.Event | None = None,
    progress: bool = True,
    posts_clock: tuple[float, float, int] | None = None,
) -> int:
    """Draw about ``per_user`` likes per account (fewer where it drew a post twice); returns
    how many likes the database holds then.

    All in one transaction, written a chunk per statement: present means made, so a run
    interrupted while liking (or while the follows were drawn beside the likes) makes them
    all again when resumed, and nothing is drawn if there are likes already. Set ``stop`` to
    give up after the statement being run (rolled back); ``progress`` off shows no bar (the
    follows' is on screen then).

    Each statement draws the likes of a range of accounts and writes them in the primary
    key's order (liker, post), so that the key's b-tree grows at its right edge: drawn for
    any account in any order, each like was an insert at a random place of it. With
    ``posts_clock`` (PostgreSQL: ``flask fake``'s posts' ``start``, ``step`` and
    ``--seed``, :func:`fake_sql.posted_at`) a like finds its post's time from the post's
    number, without reading the post (at XL a random read in ten million rows per like).
    At L, the likes' server CPU went from 3.2-3.5 s to 1.4-1.5 s
    (docs/performance.md, "flask fake at XL: follows and likes").
    """
    with engine.connect() as connection:
        dialect = Dialect(connection.dialect.name)
        users = connection.scalar(sa.select(sa.func.count()).select_from(User))
        last_post = connection.scalar(sa.select(sa.func.max(Post.id))) or 0
        present = connection.scalar(sa.select(sa.func.count()).select_from(Like))
        wanted = users * per_user
        if present or not wanted or not last_post:
            return present
        slots = _fill_temp_tables(connection, dialect, rng, last_post)
        head, tail = dialect.insert_ignoring_duplicates(quoted(connection, Like.__table__))
        params = {
            "slots": slots,
            "last_post": last_post,
            "hot": HOT_LIKES,
            "now": utcnow().timestamp(),
        }
        if posts_clock is not None:
            start, step, seed = posts_clock
            posted, post_join = posted_at("k.post_id", seed), ""
            params |= {"start": start, "step": step}
        else:
            posted = dialect.epoch("p.timestamp")
            post_join = f"JOIN {quoted(connection, Post.__table__)} p ON p.id = k.post_id "
        since = dialect.greatest(posted, "k.joined")
        # The later of the post and the account, then soon after more often than not.
        liked = dialect.time(f"({since} + (:now - {since}) * k.lag * k.lag * k.lag)")
        sql = (
            f"WITH RECURSIVE {dialect.numbers('1', ':draws')}, "  # noqa: S608
            "picks AS MATERIALIZED (SELECT n, "
            f":first + {dialect.below(':likers')} AS liker, {dialect.unit()} AS hotness, "
            f"{dialect.below(':slots')} AS slot, 1 + {dialect.below(':last_post')} AS any_post, "
            f"{dialect.unit()} AS lag FROM s), "
            "liked AS (SELECT l.id AS user_id, l.joined, k.lag, "
            "CASE WHEN k.hotness < :hot THEN h.post_id ELSE k.any_post END AS post_id "
            "FROM picks k JOIN fake_liker l ON l.pos = k.liker "
            "JOIN fake_hot h ON h.slot = k.slot) "
            f"{head} (user_id, post_id, created_at) "
            f"SELECT k.user_id, k.post_id, {liked} FROM liked k {post_join}"
            f"ORDER BY k.user_id, k.post_id {tail}"
        )
        per_chunk = max(1, LIKE_CHUNK // per_user)  # likers per statement
        bar = click.progressbar(length=wanted, label=f"{'Likes':8}", show_eta=True)
        with bar if progress else contextlib.nullcontext() as shown:
            for first in range(0, users, per_chunk):
                if stop is not None and stop.is_set():
                    connection.rollback()
                    return 0
                likers = min(per_chunk, users - first)
                draws = likers * per_user
                connection.execute(
                    sa.text(sql), {**params, "first": first, "likers": likers, "draws": draws}
                )
                if shown is not None:
                    shown.update(draws)
        _drop_temp_tables(connection)
        connection.commit()
        return connection.scalar(sa.select(sa.func.count()).select_from(Like))


def _fill_temp_tables(
    connection: sa.Connection, dialect: Dialect, rng: random.Random, last_post: int
) -> int:
    """Accounts by position (``fake_liker``), and the hot posts' Zipf slots (``fake_hot``);
    returns the number of slots."""
    keep_temp_tables_in_memory(connection)
    _drop_temp_tables(connection)
    connection.exec_driver_sql(
        "CREATE TEMP TABLE fake_liker (pos INTEGER PRIMARY KEY, id INTEGER NOT NULL, "
        "joined DOUBLE PRECISION NOT NULL)"  # float8: seconds since 1970 to the µs
    )
    connection.exec_driver_sql(
        "CREATE TEMP TABLE fake_hot (slot INTEGER PRIMARY KEY, post_id INTEGER NOT NULL)"
    )
    connection.exec_driver_sql(
        "INSERT INTO fake_liker (pos, id, joined) "  # noqa: S608
        f"SELECT row_number() OVER (ORDER BY id) - 1, id, {dialect.epoch('created_at')} "
        f"FROM {quoted(connection, User.__table__)}"
    )
    hot = rng.sample(range(1, last_post + 1), max(2, min(last_post, int(last_post * HOT_SHARE))))
    weights = [1 / (rank + 3) for rank in range(len(hot))]  # Zipf, as popularity in fake.py
    scale = SLOTS_PER_HOT_POST * len(hot) / sum(weights)
    rows, slot = [], 0
    for post_id, weight in zip(hot, weights, strict=True):
        for _ in range(max(1, round(weight * scale))):
            rows.append((slot, post_id))
            slot += 1
    # A million rows at XL: by COPY on PostgreSQL, not a statement each.
    write_rows(connection, FAKE_HOT, ("slot", "post_id"), rows)
    if dialect.postgres:
        connection.exec_driver_sql("ANALYZE fake_liker, fake_hot")
    return slot


def _drop_temp_tables(connection: sa.Connection) -> None:
    for table in TEMP_TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
