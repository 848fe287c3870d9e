"""Conversations for ``flask fake``: some of the posts it made become replies.

Shaped like a real site: most posts get no reply, a few popular ones get hundreds (Zipf
popularity among a small pool of older posts), people answer recent replies too, and some
exchanges go back and forth 20 or more replies deep. Replies are chosen among the posts already
made (a reply is always newer than what it answers), so the totals do not change, and each is
one UPDATE of three columns. The posts are read as a stream and only what a later reply may
answer is kept, so ten million posts need no more memory than a million.
"""

from __future__ import annotations

import random
from collections import deque

import sqlalchemy as sa

from app.models import Post
from app.models.post import MAX_THREAD_DEPTH, path_segment

REPLY_SHARE = 0.2
"""About this share of the posts become replies (all from the newer half)."""
HOT_SHARE = 0.005
"""This share of the posts (from the older half) draw the replies that answer a conversation's
start, some many more than others."""
CHAIN_SHARE = 0.3
"""How many replies carry on a back-and-forth instead of answering something new."""
LONGEST_CHAIN = 40
RECENT = 1000  # replies that a new reply may answer
BATCH = 10_000


class _Answerable:
    """A post a later reply may answer: its id, author, time and thread path."""

    __slots__ = ("id", "path", "timestamp", "user_id")

    def __init__(self, row, path: bytes) -> None:
        self.id, self.user_id, self.timestamp, self.path = row.id, row.user_id, row.timestamp, path


def add_threads(engine: sa.Engine, rng: random.Random, share: float = REPLY_SHARE) -> int:
    """Turn about ``share`` of the posts into replies; returns how many. Commits in batches."""
    post = Post.__table__
    with engine.connect() as reader, engine.connect() as writer:
        total = reader.scalar(sa.select(sa.func.count()).select_from(post))
        if total < 4:
            return 0
        half = total // 2
        hot_at = set(rng.sample(range(half), max(2, int(total * HOT_SHARE))))
        rows = reader.execution_options(yield_per=BATCH).execute(
            sa.select(post.c.id, post.c.user_id, post.c.timestamp).order_by(
                post.c.timestamp, post.c.id
            )
        )
        hot: list[_Answerable] = []
        weights: list[float] = []
        recent: deque[_Answerable] = deque(maxlen=RECENT)
        chains: list[list] = []  # open back-and-forths: [last reply, replies left]
        updates, made = [], 0
        for position, row in enumerate(rows):
            if position < half:
                if position in hot_at:
                    hot.append(_Answerable(row, path_segment(row.id)))
                    # Zipf: the first gets about as many replies as the next ten together.
                    weights.append(1 / len(hot) ** 1.1)
                continue
            if rng.random() >= share * 2:
                continue
            chain = rng.choice(chains) if chains and rng.random() < CHAIN_SHARE else None
            if chain is not None:
                parent = chain[0]
            elif recent and rng.random() < 0.2:
                parent = rng.choice(recent)
            else:
                parent = rng.choices(hot, weights)[0]
            if parent.timestamp >= row.timestamp or len(parent.path) // 4 >= MAX_THREAD_DEPTH:
                continue
            reply = _Answerable(row, parent.path + path_segment(row.id))
            recent.append(reply)
            if chain is not None:
                chain[0], chain[1] = reply, chain[1] - 1
                if chain[1] <= 0:
                    chains.remove(chain)
            elif rng.random() < 0.05:
                chains.append([reply, rng.randint(2, LONGEST_CHAIN)])
            updates.append(
                {
                    "reply_id": reply.id,
                    "parent_id": parent.id,
                    "parent_user_id": parent.user_id,
                    "path": reply.path,
                }
            )
            if len(updates) >= BATCH:
                made += _write(writer, updates)
        made += _write(writer, updates)
    return made


def _write(connection: sa.Connection, updates: list[dict]) -> int:
    """Make the posts in ``updates`` replies, commit, and empty the list; returns how many."""
    if not updates:
        return 0
    post = Post.__table__
    connection.execute(
        sa.update(post)
        .where(post.c.id == sa.bindparam("reply_id"))
        .values(
            in_reply_to_id=sa.bindparam("parent_id"),
            in_reply_to_user_id=sa.bindparam("parent_user_id"),
            thread_path=sa.bindparam("path"),
        ),
        updates,
    )
    connection.commit()
    count = len(updates)
    updates.clear()
    return count
