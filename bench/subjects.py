"""Who the benchmark logs in as and which pages it asks for, picked from the seeded data."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.listings.keyset import keyset_page
from app.listings.timeline import home_timeline
from app.models import Like, Post, User, followers, user_by_username
from app.models.feed import build_home_feed, has_home_feed
from bench.accounts import add_bench_account
from bench.notifications import notification_pages
from bench.threads import thread_pages
from bench.wsgi import FLOOR

RARE_READER = "bench_rare_reader"
DEEP_PAGES = 40
HOME, HEAVY_HOME = "home, follows about 100", "home, heaviest follower"


@dataclass(frozen=True)
class BenchPage:
    """A page to measure, and who is logged in to see it (None: nobody)."""

    name: str
    url: str
    username: str | None
    # Must be in the page, or the run is wrong: a card's Like button (with its count) by default.
    marker: str = "data-like"
    # The same page at every size (the name holds figures of the size, such as how many accounts
    # the heaviest follower follows): bench/run.py pairs S's and L's pages by it. The name if
    # that has no figures.
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)


def add_rare_reader() -> None:
    """A reader who follows the accounts that post least, once per database.

    As many as a fifth of the accounts that post, at most 2,000. Their timeline cannot be found
    among the newest posts, so it takes the by-author path.
    """
    if user_by_username(RARE_READER):
        return
    reader = add_bench_account(RARE_READER)
    posters = db.session.scalar(sa.select(sa.func.count(sa.distinct(Post.user_id))))
    rarest = (
        sa.select(sa.literal(reader.id), Post.user_id)
        .group_by(Post.user_id)
        .order_by(sa.func.count(), Post.user_id)
        .limit(min(2000, posters // 5))
    )
    db.session.execute(sa.insert(followers).from_select(["follower_id", "followed_id"], rarest))
    db.session.commit()


def _by_following(order) -> User:
    counts = (
        sa.select(followers.c.follower_id, sa.func.count().label("n"))
        .group_by(followers.c.follower_id)
        .subquery()
    )
    return db.session.scalar(
        sa.select(User)
        .join(counts, counts.c.follower_id == User.id)
        .where(User.username != RARE_READER)
        .order_by(order(counts.c.n), User.id)
        .limit(1)
    )


def _deep_home_page(reader: User, per_page: int, key: str) -> BenchPage:
    """Page 41 of ``reader``'s home timeline (or its last page, if it is shorter)."""
    page, deep = None, 0
    while deep < DEEP_PAGES and (page is None or page.next_cursor):
        after = page.next_cursor if page else None
        page = keyset_page(home_timeline(reader), per_page, after=after)
        deep += 1
    return BenchPage(
        f"home, follows {reader.following_count()}, page {deep + 1}",
        f"/?after={page.next_cursor}",
        reader.username,
        key=f"{key}, page {DEEP_PAGES + 1}",
    )


def home_pages(per_page: int) -> list[BenchPage]:
    """Home for someone following about 100 accounts and for the heaviest follower, page 1
    and page 41 of both, and home for the rare posters' reader."""
    reader = _by_following(lambda n: sa.func.abs(n - 100))
    heavy = _by_following(lambda n: n.desc())
    rare = user_by_username(RARE_READER)
    return [
        BenchPage(f"home, follows {reader.following_count()}", "/", reader.username, key=HOME),
        BenchPage(f"home, follows {heavy.following_count()}", "/", heavy.username, key=HEAVY_HOME),
        _deep_home_page(reader, per_page, HOME),
        _deep_home_page(heavy, per_page, HEAVY_HOME),
        # It follows 200 accounts at S and 2,000 at L, so its L/S ratio also measures that.
        BenchPage(
            f"home, rare, follows {rare.following_count()}",
            "/",
            RARE_READER,
            key="home, rare posters",
        ),
    ]


def bench_pages(per_page: int) -> list[BenchPage]:
    """The pages the issue asks about, for the current app's database."""
    reader = _by_following(lambda n: sa.func.abs(n - 100))
    famous = db.session.scalar(
        sa.select(User)
        .join(followers, followers.c.followed_id == User.id)
        .group_by(User.id)
        .order_by(sa.func.count().desc(), User.id)
        .limit(1)
    )
    most_liked, likes = db.session.execute(
        sa.select(Like.post_id, sa.func.count())
        .group_by(Like.post_id)
        .order_by(sa.func.count().desc(), Like.post_id)
        .limit(1)
    ).one()
    start = sa.func.substr(User.username_key, 1, 2)
    name_start = db.session.scalar(
        sa.select(start).group_by(start).order_by(sa.func.count().desc(), start).limit(1)
    )
    pages = [
        # The floor: the framework alone, no database at all. The logged-in floor also loads
        # the session user, as every other page does (bench/wsgi.py).
        BenchPage("floor: /healthz", "/healthz", None, marker="ok"),
        BenchPage("floor, logged in", FLOOR, reader.username, marker="ok"),
        *home_pages(per_page),
        BenchPage("explore", "/explore", reader.username),
        BenchPage(
            f"profile, {famous.followers_count()} followers",
            f"/user/{famous.username}",
            reader.username,
            marker='class="profile',  # the most followed need not have posted
            key="profile, most followed",
        ),
        # Not one of the pages: the longest follower list, newest follower first.
        BenchPage(
            f"followers, {famous.followers_count()}",
            f"/user/{famous.username}/followers",
            reader.username,
            marker='class="person"',
            key="followers, most followed",
        ),
        # The first page of who liked the most liked post (issue 17).
        BenchPage(
            f"liked by, {likes} likes",
            f"/post/{most_liked}/likes",
            reader.username,
            marker='class="person"',
            key="liked by, most liked",
        ),
        # Not one of the pages either: people whose names start with the commonest
        # two letters, a full page at every size (the famous account's start, used until
        # 2026-12-04, listed 3 people at S and 25 at L: a L/S ratio of 1.7 from that alone).
        BenchPage(
            f"search, {name_start!r}",
            f"/search?q={name_start}",
            reader.username,
            marker='class="person"',
            key="search people",
        ),
        *(BenchPage(*page) for page in thread_pages(per_page)),
        *(BenchPage(*page) for page in notification_pages()),
        *search_bench_pages(reader.username),
    ]
    build_home_feeds(pages)
    return pages


def build_home_feeds(pages: list[BenchPage]) -> None:
    """Every reader of ``pages`` with a home feed before anything is timed: ``flask fake``
    leaves each to be built on its reader's first home visit (the bench's first request for a
    page would build it too, but its cost is not what the bench measures)."""
    for username in sorted({page.username for page in pages if page.username}):
        user = user_by_username(username)
        if not has_home_feed(db.session.connection(), user.id):
            build_home_feed(db.session.connection(), user.id)
            db.session.commit()


def search_bench_pages(username: str, sample: int = 20_000) -> list[BenchPage]:
    """Post searches and a tag page, with words picked from a sample of the posts: a common
    word (in about 1% of posts), the rarest word of the sample, the commonest phrase of two
    neighbouring words, the common word again by relevance (every match scored and sorted),
    and the commonest tag.

    The phrase is the sample's commonest so that it fills a page at every size: random
    pairs of words are rare (``flask fake``'s commonest is in about 0.1% of posts), and a
    phrase picked from one text had 12 matches at S, whose half-empty page then served 1.5
    times the requests of L's full one and passed for the database's speed.

    A page the sample gives nothing for (no words of four letters or more, no text of two
    words, no hashtag: a database not made by ``flask fake``) is left out, with a note
    saying why, rather than stopping the run.
    """
    from collections import Counter
    from itertools import pairwise

    from app.models.search import hashtags, search_tokens

    bodies = db.session.scalars(sa.select(Post.body).order_by(Post.id).limit(sample)).all()
    words, pairs, tags = Counter(), Counter(), Counter()
    for body in bodies:
        tokens = search_tokens(body)
        words.update(set(tokens))
        pairs.update(set(pairwise(tokens)))
        tags.update(hashtags(body))
    pages = []
    plain = {word: n for word, n in words.items() if word.isalpha() and len(word) > 3}
    if plain:
        common = min(plain, key=lambda word: (abs(plain[word] - len(bodies) / 100), word))
        rare = min(plain, key=lambda word: (plain[word], word))
        pages += [
            BenchPage(
                f"search, common word {common!r}",
                f"/search/posts?q={common}",
                username,
                key="search, common word",
            ),
            BenchPage(
                f"search, rare word {rare!r}",
                f"/search/posts?q={rare}",
                username,
                key="search, rare word",
            ),
        ]
    else:
        _skipped("the word searches", f"no word of four letters or more in {len(bodies)} posts")
    if pairs:
        first, second = min(pairs, key=lambda pair: (-pairs[pair], pair))
        pages.append(
            BenchPage(
                f"search, phrase '{first} {second}'",
                f"/search/posts?q=%22{first}+{second}%22",
                username,
                key="search, phrase",
            )
        )
    else:
        _skipped("the phrase search", f"no post of two words or more in {len(bodies)} posts")
    if plain:
        pages.append(
            BenchPage(
                f"search, common word {common!r}, most relevant",
                f"/search/posts?q={common}&sort=relevant",
                username,
                key="search, common word, most relevant",
            )
        )
    if tags:
        tag = tags.most_common(1)[0][0]
        pages.append(BenchPage(f"tag page #{tag}", f"/tags/{tag}", username, key="tag page"))
    else:
        _skipped("the tag page", f"no hashtag in the first {len(bodies)} posts")
    return pages


def _skipped(what: str, why: str) -> None:
    print(f"Note: {what} left out of the benchmark: {why}.", file=sys.stderr, flush=True)
