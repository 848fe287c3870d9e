"""``flask fake``: fill an empty database with realistic fake users, follows and posts.

Built for volume: a million posts go in with bulk Core ``executemany`` in one transaction per
table, every fake user shares one password hashed once, and no ORM objects are made per row.
The data is shaped like a real community: a few accounts are followed by almost everyone and most
by few (Zipf popularity), how many accounts people follow varies widely (a few follow the
maximum of 2,000), and a few people write most posts while many post rarely. About a fifth of
the posts then become replies, in conversations shaped like real ones
(:mod:`app.commands.fake_threads`).
"""

from __future__ import annotations

import itertools
import math
import random
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from faker import Faker
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from app.commands.fake_threads import add_threads
from app.extensions import db
from app.models import POST_MAX_LENGTH, Post, User, followers
from app.models.types import utcnow

DEFAULT_PASSWORD = "chirp-fake-password"  # noqa: S105  (documented, for fake accounts only)
MAX_FOLLOWS = 2000
HISTORY = timedelta(days=730)
CHUNK = 20_000
TEXT_POOL = 4000


@click.command("fake")
@click.option("--users", default=1000, show_default=True, type=click.IntRange(min=2))
@click.option("--posts", default=50_000, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--follows",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Average number of accounts each user follows.",
)
@click.option("--seed", default=4, show_default=True, help="Same seed, same data.")
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Every fake user's password."
)
@with_appcontext
def fake_command(users: int, posts: int, follows: int, seed: int, password: str) -> None:
    """Fill an empty database with fake users, follows and posts."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        raise click.ClickException(
            "The database already has users: `flask fake` fills an empty one."
        )
    db.session.close()
    seeder = FakeData(users, posts, follows, seed)
    password_hash = generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )
    with db.engine.begin() as connection:
        _speed_up_bulk_load(connection)
        ids = seeder.insert_users(connection, password_hash, _bar("Users"))
        seeder.insert_follows(connection, ids, _bar("Follows"))
        seeder.insert_posts(connection, ids, _bar("Posts"))
    with db.engine.connect() as connection:
        replies = add_threads(connection, random.Random(seed + 2))  # noqa: S311  (fake data)
    click.echo(
        f"Added {users} users, {seeder.follow_count} follows and {posts} posts "
        f"({replies} of them replies). "
        f"Log in as any of them (e.g. {seeder.usernames[0]}) with the password {password!r}."
    )


def _bar(label: str):
    return lambda length: click.progressbar(length=length, label=f"{label:8}", show_eta=True)


def _speed_up_bulk_load(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        # A bigger page cache keeps index inserts in memory; this connection only.
        connection.exec_driver_sql("PRAGMA cache_size = -262144")


class FakeData:
    """Deterministic fake data for ``users`` accounts; rows are made lazily, chunk by chunk."""

    def __init__(self, users: int, posts: int, follows: int, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (fake data, not secrets)
        self.faker = Faker("en_US")
        self.faker.seed_instance(seed)
        self.users, self.posts, self.mean_follows = users, posts, follows
        self.now = utcnow()
        self.start = self.now - HISTORY
        self.usernames = self._usernames()
        self.follow_count = 0
        self.joined: list[float] = []  # seconds after ``start`` each user joined
        # Who writes each post and when (seconds after ``start``), oldest first.
        self.post_times = self._post_times()
        self.post_authors = array("l", self._post_authors())

    def _usernames(self) -> list[str]:
        names = []
        for number in range(1, self.users + 1):
            base = re.sub(r"[^A-Za-z0-9_]", "_", self.faker.user_name())[:24]
            names.append(f"{base}_{number}")  # the number makes each name unique
        return names

    def _post_times(self) -> array:
        # Exponential gaps make a Poisson stream: bursts and lulls, in time order.
        total, gaps = 0.0, array("d")
        for _ in range(self.posts):
            total += self.rng.expovariate(1.0)
            gaps.append(total)
        scale = HISTORY.total_seconds() / (total + self.rng.expovariate(1.0) or 1.0)
        return array("d", (t * scale for t in gaps))

    def _post_authors(self) -> list[int]:
        # Log-normal activity: most people post now and then, a few post all the time.
        activity = [self.rng.lognormvariate(0.0, 1.6) for _ in range(self.users)]
        return self.rng.choices(range(self.users), weights=activity, k=self.posts)

    def insert_users(self, connection: sa.Connection, password_hash: str, bar) -> list[int]:
        """Insert the users; returns their database ids in generation order."""
        first_post: dict[int, float] = {}
        for index, seconds in zip(self.post_authors, self.post_times, strict=True):
            first_post.setdefault(index, seconds)
        rows = []
        for index, name in enumerate(self.usernames):
            # People join a little before their first post (never-posters: any time).
            joined = first_post.get(index, self.rng.uniform(0, HISTORY.total_seconds()))
            joined = max(0.0, joined - self.rng.uniform(0, 86400))
            self.joined.append(joined)
            created = self.start + timedelta(seconds=joined)
            about = self.faker.sentence(nb_words=8) if self.rng.random() < 0.6 else None
            rows.append(
                {
                    "username": name,
                    "username_key": name.lower(),
                    "email": f"{name.lower()}@example.com",
                    "password_hash": password_hash,
                    "about_me": about,
                    "created_at": created,
                    "updated_at": created,
                    "email_confirmed_at": created,  # fake people may post at once
                    "last_seen": self.now - timedelta(seconds=self.rng.expovariate(1 / 86400)),
                }
            )
        _insert_chunks(connection, User.__table__, rows, bar(len(rows)))
        ids = dict(connection.execute(sa.select(User.username_key, User.id)).all())
        return [ids[name.lower()] for name in self.usernames]

    def followees(self) -> Iterator[list[int]]:
        """For each user in turn, the indexes of the users they follow."""
        order = list(range(self.users))
        self.rng.shuffle(order)  # popularity rank is independent of everything else
        cumulative = list(itertools.accumulate(1.0 / (rank + 3) for rank in range(self.users)))
        cap = min(MAX_FOLLOWS, self.users - 1)
        heavy = set(self.rng.sample(range(self.users), max(1, self.users // 1000)))
        # Log-normal with sigma 1: mean = median * e^0.5.
        median = self.mean_follows / math.exp(0.5)
        for follower in range(self.users):
            wanted = cap if follower in heavy else self.rng.lognormvariate(math.log(median), 1.0)
            wanted = min(cap, max(1, round(wanted)))
            yield sorted(self._pick_followees(follower, wanted, order, cumulative))

    def _pick_followees(self, follower: int, wanted: int, order: list[int], cumulative) -> set[int]:
        chosen: set[int] = set()
        total = cumulative[-1]
        for _ in range(4):
            need = wanted - len(chosen)
            if need <= 0:
                break
            for _ in range(need + need // 2 + 1):
                rank = bisect_right(cumulative, self.rng.random() * total)
                followed = order[min(rank, self.users - 1)]
                if followed != follower:
                    chosen.add(followed)
        if len(chosen) > wanted:
            chosen = set(self.rng.sample(sorted(chosen), wanted))
        elif len(chosen) < wanted:
            # Heavy followers run out of popular accounts: fill up with anyone.
            rest = [u for u in range(self.users) if u != follower and u not in chosen]
            chosen.update(self.rng.sample(rest, wanted - len(chosen)))
        return chosen

    def insert_follows(self, connection: sa.Connection, ids: list[int], bar) -> None:
        """Insert the follow graph."""
        rows: list[dict] = []
        with bar(self.users) as progress:
            for follower, followed in enumerate(self.followees()):
                rows += [
                    {
                        "follower_id": ids[follower],
                        "followed_id": ids[b],
                        "created_at": self._follow_time(follower, b),
                    }
                    for b in followed
                ]
                if len(rows) >= CHUNK or follower == self.users - 1:
                    connection.execute(followers.insert(), rows)
                    self.follow_count += len(rows)
                    rows = []
                progress.update(1)

    def _follow_time(self, follower: int, followed: int) -> datetime:
        # Any time after both had joined; the fraction is squared so that follows, like
        # people's activity, cluster nearer the present.
        since = max(self.joined[follower], self.joined[followed])
        seconds = since + (HISTORY.total_seconds() - since) * (1 - self.rng.random() ** 2)
        return self.start + timedelta(seconds=seconds)

    def post_bodies(self) -> Iterator[str]:
        """Post texts of varied length, from a pool of fake sentences and paragraphs."""
        pool = [
            self.faker.text(max_nb_chars=self.rng.choice((40, 80, 140))).replace("\n", " ")
            for _ in range(TEXT_POOL)
        ]
        pool += [self.faker.sentence(nb_words=self.rng.randint(2, 9)) for _ in range(TEXT_POOL)]
        while True:
            body = pool[int(self.rng.random() * len(pool))]
            extra = pool[int(self.rng.random() * len(pool))]
            if self.rng.random() < 0.3 and len(body) + len(extra) < POST_MAX_LENGTH:
                body = f"{body} {extra}"
            yield body[:POST_MAX_LENGTH]

    def insert_posts(self, connection: sa.Connection, ids: list[int], bar) -> None:
        """Insert the posts, oldest first (so ids grow with time, as in real use)."""
        rows = (
            {"body": body, "timestamp": self.start + timedelta(seconds=when), "user_id": ids[who]}
            for body, when, who in zip(
                self.post_bodies(), self.post_times, self.post_authors, strict=False
            )
        )
        _insert_chunks(connection, Post.__table__, rows, bar(self.posts))


def _chunks(rows) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        yield chunk


def _insert_chunks(connection: sa.Connection, table: sa.Table, rows, progress) -> None:
    with progress:
        for chunk in _chunks(rows):
            connection.execute(table.insert(), chunk)
            progress.update(len(chunk))
