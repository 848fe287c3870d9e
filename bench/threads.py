"""The benchmark's conversation: one thread of 2,000 replies, and a reader whose home is mostly
replies (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.listings.keyset import keyset_page
from app.listings.threads import thread_replies
from app.models import Post, User, followers, user_by_username
from app.models.types import utcnow
from bench.accounts import add_bench_account

THREAD_READER = "bench_thread_reader"
THREAD_REPLIES = 2000
PEOPLE = 400  # who take part; the reader follows half of them
DEEP_PAGES = 40


def add_big_thread() -> None:
    """Once per database: a post with 2,000 replies among 400 accounts, the newest posts on the
    site, and a reader who follows 200 of those accounts.

    A quarter of the replies answer the post, the rest answer earlier replies (threads within
    the thread, some deep). Half are by accounts the reader does not follow and many answer
    them, so the reader's home is a window full of replies that the home rule must sort out.
    """
    if user_by_username(THREAD_READER):
        return
    reader = add_bench_account(THREAD_READER)
    people = db.session.scalars(
        sa.select(User).where(User.id != reader.id).order_by(User.id).limit(PEOPLE)
    ).all()
    db.session.execute(
        sa.insert(followers),
        [{"follower_id": reader.id, "followed_id": p.id} for p in people[: len(people) // 2]],
    )
    start = utcnow() - timedelta(hours=3)
    root = Post(body="What did you see on your walk today?", author=people[0], timestamp=start)
    db.session.add(root)
    db.session.flush()
    posts = [root]
    for n in range(THREAD_REPLIES):
        parent = root if n % 4 == 0 else posts[(n * 7919) % len(posts)]
        reply = parent.reply(people[n % len(people)], f"Reply {n}: a heron, by the canal.")
        reply.timestamp = start + timedelta(seconds=n + 1)
        posts.append(reply)
    db.session.commit()


def thread_pages(per_page: int) -> list[tuple[str, str, str]]:
    """The thread's first page and a page 40 deep, and the reply-heavy home: (name, URL,
    who reads it) each; none before :func:`add_big_thread` (the ceiling app needs none)."""
    reader = user_by_username(THREAD_READER)
    if reader is None:
        return []
    root = db.session.scalar(
        sa.select(Post)
        .where(Post.in_reply_to_id.is_(None), Post.body.startswith("What did you see"))
        .order_by(Post.id.desc())
        .limit(1)
    )
    page, deep = None, 0
    while deep < DEEP_PAGES and (page is None or page.next_cursor):
        after = page.next_cursor if page else None
        page = keyset_page(thread_replies(root, reader), per_page, after=after)
        deep += 1
    return [
        (f"thread, {THREAD_REPLIES} replies", f"/post/{root.id}", reader.username),
        (f"thread, page {deep + 1}", f"/post/{root.id}?after={page.next_cursor}", THREAD_READER),
        ("home, reply-heavy", "/", THREAD_READER),
    ]
