"""Conversations for ``flask fake``: some of the posts it made become replies.

Shaped like a real site: most posts get no reply, a few popular ones get hundreds (Zipf
popularity among a small pool of older posts), people answer replies too, and some exchanges
go back and forth 20 or more replies deep. Replies are chosen among the posts already made
(a reply is always newer than what it answers), so the totals do not change, and each is one
UPDATE of three columns: cheap next to making the posts.
"""

from __future__ import annotations

import random

import sqlalchemy as sa

from app.models import Post
from app.models.post import MAX_THREAD_DEPTH, path_segment

REPLY_SHARE = 0.2
"""About this share of the posts become replies."""
HOT_SHARE = 0.005
"""How many posts (of the oldest half) draw the replies that answer a conversation's start."""
CHAIN_SHARE = 0.3
"""How many replies carry on a back-and-forth instead of answering something new."""
LONGEST_CHAIN = 40
BATCH = 10_000


def add_threads(connection: sa.Connection, rng: random.Random, share: float = REPLY_SHARE) -> int:
    """Turn about ``share`` of the posts into replies; returns how many. Commits."""
    post = Post.__table__
    rows = connection.execute(
        sa.select(post.c.id, post.c.user_id, post.c.timestamp).order_by(post.c.timestamp, post.c.id)
    ).all()
    if len(rows) < 4:
        return 0
    half = len(rows) // 2
    hot = rng.sample(rows[:half], max(2, int(len(rows) * HOT_SHARE)))
    # Zipf: the first of them gets about as many replies as the next ten together.
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(hot))]
    author_of = {row.id: row.user_id for row in hot}
    path_of = {row.id: path_segment(row.id) for row in hot}
    replies: list[tuple] = []  # (id, user_id, timestamp) of the replies made so far
    chains: list[list] = []  # open back-and-forths: [last reply, replies left]
    updates = []
    for row in rows[half:]:
        if rng.random() >= share * 2:  # the replies come from the newer half
            continue
        chain = rng.choice(chains) if chains and rng.random() < CHAIN_SHARE else None
        if chain is not None:
            parent = chain[0]
        elif replies and rng.random() < 0.2:
            parent = rng.choice(replies[-1000:])  # a recent reply gets an answer
        else:
            parent = rng.choices(hot, weights)[0]
        path = path_of[parent.id]
        if parent.timestamp >= row.timestamp or len(path) // 4 >= MAX_THREAD_DEPTH:
            continue
        path_of[row.id] = path + path_segment(row.id)
        author_of[row.id] = row.user_id
        replies.append(row)
        if chain is not None:
            chain[0], chain[1] = row, chain[1] - 1
            if chain[1] <= 0:
                chains.remove(chain)
        elif rng.random() < 0.05:
            chains.append([row, rng.randint(2, LONGEST_CHAIN)])
        updates.append(
            {
                "reply_id": row.id,
                "parent_id": parent.id,
                "parent_user_id": author_of[parent.id],
                "path": path_of[row.id],
            }
        )
    statement = (
        sa.update(post)
        .where(post.c.id == sa.bindparam("reply_id"))
        .values(
            in_reply_to_id=sa.bindparam("parent_id"),
            in_reply_to_user_id=sa.bindparam("parent_user_id"),
            thread_path=sa.bindparam("path"),
        )
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(statement, updates[start : start + BATCH])
        connection.commit()
    return len(updates)
