"""Conversations for ``flask fake``: some of the posts it makes are replies.

Shaped like a real site: most posts get no reply, a few popular ones get hundreds (Zipf
popularity among a small pool of older posts), people answer recent replies too, and some
exchanges go back and forth 20 or more replies deep.

The replies are planned here, in Python, before the posts exist, and written with them (see
``fake_sql.insert_posts``): a fake post's id is its place in time (post n is the n-th oldest),
so which posts answer which, and their thread paths, need nothing from the database. Only the
author of the post answered is the database's (it draws authors): the insert looks it up.
Making the replies afterwards, by reading every post back into Python and updating a fifth of
them, was the longest step of the load (at L 18 s on SQLite, 55-79 s on PostgreSQL; see
docs/performance.md, "Seeding").
"""

from __future__ import annotations

import itertools
import random
from collections import deque

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


class ReplyPlan:
    """Which of posts 1 to ``total`` answer which, drawn oldest first from ``rng``.

    :meth:`upto` hands the replies out chunk by chunk, as the posts are written; the same seed
    gives the same replies, so a resumed run asks for (and drops) the chunks already written.
    """

    def __init__(self, rng: random.Random, total: int, share: float = REPLY_SHARE) -> None:
        self.rng, self.share = rng, share
        self.half = total // 2
        self.next_id = 1
        hot_count = max(2, int(total * HOT_SHARE)) if total >= 4 else 0
        # Positions (id - 1) in the older half, in the order a stream of posts meets them.
        hot_at = sorted(rng.sample(range(self.half), hot_count)) if hot_count else []
        self.hot = [position + 1 for position in hot_at]
        # Zipf: the first gets about as many replies as the next ten together. Cumulative, so
        # that a draw is a bisection: passing plain weights made each draw add them all up
        # (at XL 50,000 of them for each of 2 million replies: the load stalled there).
        self.cumulative = list(
            itertools.accumulate(1 / rank**1.1 for rank in range(1, len(self.hot) + 1))
        )
        self.recent: deque[tuple[int, bytes]] = deque(maxlen=RECENT)
        self.chains: list[list] = []  # open back-and-forths: [last reply, replies left]

    def upto(self, last_id: int) -> list[tuple[int, int, bytes]]:
        """The replies among the posts from where the last call stopped to ``last_id``, as
        (reply id, id of the post answered, thread path)."""
        rng, replies = self.rng, []
        first = max(self.next_id, self.half + 1)
        self.next_id = max(self.next_id, last_id + 1)
        for post_id in range(first, last_id + 1):
            if rng.random() >= self.share * 2:
                continue
            chain, at = None, 0
            if self.chains and rng.random() < CHAIN_SHARE:
                at = rng.randrange(len(self.chains))  # the draw rng.choice makes
                chain = self.chains[at]
            if chain is not None:
                parent = chain[0]
            elif self.recent and rng.random() < 0.2:
                parent = rng.choice(self.recent)
            else:
                hot = rng.choices(self.hot, cum_weights=self.cumulative)[0]
                parent = (hot, path_segment(hot))
            if len(parent[1]) // 4 >= MAX_THREAD_DEPTH:
                continue
            reply = (post_id, parent[1] + path_segment(post_id))
            self.recent.append(reply)
            if chain is not None:
                chain[0], chain[1] = reply, chain[1] - 1
                if chain[1] <= 0:
                    # The last open chain takes its place: a draw among them ignores their
                    # order, and list.remove() searched them all, a cost growing with the
                    # open chains (51,000 at XL: 60 s of the command's CPU, quadratic).
                    self.chains[at] = self.chains[-1]
                    self.chains.pop()
            elif rng.random() < 0.05:
                self.chains.append([reply, rng.randint(2, LONGEST_CHAIN)])
            replies.append((post_id, parent[0], reply[1]))
        return replies
