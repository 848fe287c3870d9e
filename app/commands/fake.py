"""``flask fake``: fill an empty database with realistic fake users, follows, posts and likes.

Built for volume: the 100,000 users / 10 million posts of the benchmark's XL set load in a few
minutes. Python makes what needs Faker or a seed (names, texts, who is how popular and how
active) and the database draws the millions of follows and posts itself, in committed chunks
(:mod:`app.commands.fake_sql`). Every fake user shares one password, hashed once: hashing
100,000 passwords would take longer than the rest.

The data is shaped like a real community: a few accounts are followed by almost everyone and
most by few (Zipf popularity), how many accounts people follow varies widely (a few follow the
maximum of 2,000), and a few people write most posts while many post rarely. About a fifth of
the posts then become replies, in conversations shaped like real ones
(:mod:`app.commands.fake_threads`), and people like posts, a few of them thousands of times
(:mod:`app.commands.fake_likes`).

Each chunk is committed, so a run that stops half-way leaves a working database; running the
same command again with ``--resume`` carries on from the last chunk.
"""

from __future__ import annotations

import math
import random
import re
import time
from datetime import timedelta

import click
import sqlalchemy as sa
from faker import Faker
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from app.commands import fake_sql
from app.commands.fake_likes import add_likes
from app.commands.fake_notifications import add_notifications
from app.commands.fake_threads import add_threads
from app.extensions import db
from app.models import POST_MAX_LENGTH, Post, User, followers
from app.models.feed import rebuild_home_feeds
from app.models.search import rebuild_index
from app.models.types import utcnow

DEFAULT_PASSWORD = "chirp-fake-password"  # noqa: S105  (documented, for fake accounts only)
MAX_FOLLOWS = 2000
HISTORY = timedelta(days=730)
POST_CHUNK = 250_000  # posts per committed chunk
FOLLOW_CHUNK = 250_000  # about this many follows per committed chunk
USER_CHUNK = 10_000
TEXT_POOL = 4000
TOPICS = ["birds", "coffee", "rain", "music", "books", "running", "gardens", "chess", "tea"]
SLOTS_PER_USER = 20  # resolution of the weighted draws (see fake_sql)


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
@click.option(
    "--likes",
    default=30,
    show_default=True,
    type=click.IntRange(min=0),
    help="Average number of posts each user likes (a few posts get most of them).",
)
@click.option(
    "--seed",
    default=4,
    show_default=True,
    help="Same seed, same names, texts and weights (the database draws the rest).",
)
@click.option(
    "--password", default=DEFAULT_PASSWORD, show_default=True, help="Every fake user's password."
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish an interrupted run (give the same options as before).",
)
@with_appcontext
def fake_command(
    users: int, posts: int, follows: int, likes: int, seed: int, password: str, resume: bool
) -> None:
    """Fill an empty database with fake users, follows, posts and likes."""
    community = FakeCommunity(users, posts, follows, seed)
    present = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    if present and not resume:
        raise click.ClickException(
            "The database already has users: `flask fake` fills an empty one. To finish an "
            "interrupted `flask fake`, run it again with the same options and --resume."
        )
    if present and not community.made_these(present):
        raise click.ClickException(
            "The users in the database are not the ones `flask fake` makes with these options: "
            "give --resume the options of the run that was interrupted."
        )
    db.session.close()
    password_hash = generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )
    started = time.perf_counter()
    try:
        with db.engine.connect() as connection:
            community.load(connection, password_hash, users_present=bool(present))
    except KeyboardInterrupt:
        # Without its foreign keys the database would not cascade deletes: put them back now.
        # (Killed outright, it cannot: then --resume does, and should run before any use.)
        click.echo("Interrupted: restoring the indexes and foreign keys...")
        with db.engine.connect() as connection:
            fake_sql.restore_after_load(connection)
        raise click.ClickException(
            "Interrupted. Everything committed so far is kept and usable; run the same "
            "command with --resume to finish."
        ) from None
    click.echo("Making conversations...")
    replies = add_threads(db.engine, random.Random(seed + 2))  # noqa: S311  (fake data)
    like_count = add_likes(db.engine, random.Random(seed + 3), likes)  # noqa: S311
    click.echo("Telling people...")
    notifications = add_notifications(db.engine)

    # The posts went in with plain SQL, past the index upkeep of the app's session.
    click.echo("Indexing posts for search...")
    indexing = time.perf_counter()
    with db.engine.begin() as connection:
        rebuild_index(connection)
    click.echo(f"Indexed in {time.perf_counter() - indexing:.0f} s.")
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection)  # the posts and follows went in past the feeds too
    if db.engine.dialect.name == "postgresql":
        click.echo("Vacuuming and analysing...")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Fresh statistics for the planner, and a visibility map so that index-only scans
            # (which the listings rely on) read no table pages.
            connection.exec_driver_sql(
                'VACUUM (ANALYZE) "user", followers, post, post_like, notification'
            )
    follow_count = db.session.scalar(sa.select(sa.func.count()).select_from(followers))
    post_count = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
    click.echo(
        f"Added {users} users, {follow_count} follows, {post_count} posts "
        f"({replies} of them replies), {like_count} likes and {notifications} notifications in "
        f"{time.perf_counter() - started:.0f} s. Log in as any of them "
        f"(e.g. {community.usernames[0]}) with the password {password!r}."
    )


def _bar(label: str, length: int):
    return click.progressbar(length=length, label=f"{label:8}", show_eta=True)


class FakeCommunity:
    """Deterministic per-account facts for ``users`` accounts; the database draws the rest."""

    def __init__(self, users: int, posts: int, follows: int, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (fake data, not secrets)
        self.faker = Faker("en_US")
        self.faker.seed_instance(seed)
        self.users, self.posts, self.mean_follows = users, posts, follows
        self.now = utcnow()
        self.start = self.now - HISTORY
        self.usernames = self._usernames()
        self.texts = self._texts()
        # The weights get their own generator, so a resumed run (which makes no users) draws
        # the same ones.
        self.shape_rng = random.Random(seed + 1)  # noqa: S311
        self.cap = min(MAX_FOLLOWS, users - 1)

    def _usernames(self) -> list[str]:
        names = []
        for number in range(1, self.users + 1):
            base = re.sub(r"[^A-Za-z0-9_]", "_", self.faker.user_name())[:24]
            names.append(f"{base}_{number}")  # the number makes each name unique
        return names

    def made_these(self, present: int) -> bool:
        """Whether the database's ``present`` users are the ones these options make."""
        first, last = (self.usernames[0].lower(), self.usernames[-1].lower())
        found = db.session.scalars(
            sa.select(User.username_key).where(User.username_key.in_([first, last]))
        ).all()
        return present == self.users and len(found) == 2

    def load(self, connection: sa.Connection, password_hash: str, users_present: bool) -> None:
        """Insert whatever is missing, committing chunk by chunk."""
        fake_sql.speed_up_bulk_load(connection)
        if not users_present:
            self.insert_users(connection, password_hash)
            connection.commit()
        ids = dict(connection.execute(sa.select(User.username_key, User.id)).all())
        ids = [ids[name.lower()] for name in self.usernames]
        fake_sql.create_temp_tables(connection)
        accounts, numbers = self.accounts(ids)
        fake_sql.fill_temp_tables(connection, accounts, self.texts, numbers)
        connection.commit()
        self.author_slots = sum(a["author_slots"] for a in accounts)
        self.popular_slots = sum(a["popular_slots"] for a in accounts)
        if set_aside := fake_sql.set_aside_for_load(connection):
            click.echo(
                f"Dropped for the load, made again at the end: {', '.join(set_aside)}. "
                "If the run is interrupted, finish it with --resume to have them back."
            )
        self.insert_posts(connection)
        self.insert_follows(connection, {user_id: pos for pos, user_id in enumerate(ids)})
        if made := fake_sql.restore_after_load(connection):
            click.echo(f"Made again: {', '.join(made)}.")
        fake_sql.drop_temp_tables(connection)
        fake_sql.finish_bulk_load(connection)
        connection.commit()

    def insert_users(self, connection: sa.Connection, password_hash: str) -> None:
        """The accounts, all in the connection's transaction.

        Join times are uniform over the history here; those who post are moved to just before
        their first post once the posts are in.
        """
        rows = []
        for name in self.usernames:
            joined = self.start + timedelta(seconds=self.rng.uniform(0, HISTORY.total_seconds()))
            about = self.faker.sentence(nb_words=8) if self.rng.random() < 0.6 else None
            rows.append(
                {
                    "username": name,
                    "username_key": name.lower(),
                    "email": f"{name.lower()}@example.com",
                    "password_hash": password_hash,
                    "about_me": about,
                    "created_at": joined,
                    "updated_at": joined,
                    "email_confirmed_at": joined,  # fake people may post at once
                    "last_seen": self.now - timedelta(seconds=self.rng.expovariate(1 / 86400)),
                }
            )
        with _bar("Users", len(rows)) as progress:
            for low in range(0, len(rows), USER_CHUNK):
                chunk = rows[low : low + USER_CHUNK]
                connection.execute(User.__table__.insert(), chunk)
                progress.update(len(chunk))

    def accounts(self, ids: list[int]) -> tuple[list[dict], int]:
        """``fake_user`` rows, and the largest per-account count spelled out as rows."""
        order = list(range(self.users))
        self.shape_rng.shuffle(order)  # popularity rank is independent of everything else
        popularity = [0] * self.users
        for rank, index in enumerate(order):
            popularity[index] = rank
        heavy = set(self.shape_rng.sample(range(self.users), max(1, self.users // 1000)))
        # Log-normal with sigma 1: mean = median * e^0.5.
        median = self.mean_follows / math.exp(0.5)
        # Log-normal activity: most people post now and then, a few post all the time.
        activity = [self.shape_rng.lognormvariate(0.0, 1.6) for _ in range(self.users)]
        fame = [1.0 / (rank + 3) for rank in popularity]  # Zipf
        author_slots = self._slots(activity)
        popular_slots = self._slots(fame)
        rows, author_start, popular_start = [], 0, 0
        for pos, user_id in enumerate(ids):
            wanted = self.shape_rng.lognormvariate(math.log(median), 1.0)
            rows.append(
                {
                    "pos": pos,
                    "id": user_id,
                    "popularity": popularity[pos],
                    "wanted": min(self.cap, max(1, round(wanted))),
                    "heavy": int(pos in heavy),
                    "author_start": author_start,
                    "author_slots": author_slots[pos],
                    "popular_start": popular_start,
                    "popular_slots": popular_slots[pos],
                }
            )
            author_start += author_slots[pos]
            popular_start += popular_slots[pos]
        numbers = max(self.cap, max(author_slots), max(popular_slots))
        return rows, numbers

    def _slots(self, weights: list[float]) -> list[int]:
        """Slots per account in proportion to ``weights``, rounded at random (so expected
        counts stay exact even for accounts owed a fraction of a slot); never none at all."""
        scale = SLOTS_PER_USER * self.users / sum(weights)
        slots = [math.floor(w * scale + self.shape_rng.random()) for w in weights]
        if not any(slots):
            slots[0] = 1
        return slots

    def _texts(self) -> list[str]:
        """Post texts of varied length: fake sentences and paragraphs, some joined in pairs."""
        pool = [
            self.faker.text(max_nb_chars=self.rng.choice((40, 80, 140))).replace("\n", " ")
            for _ in range(TEXT_POOL)
        ]
        pool += [self.faker.sentence(nb_words=self.rng.randint(2, 9)) for _ in range(TEXT_POOL)]
        pairs = []
        for _ in range(len(pool) // 2):
            body, extra = self.rng.choice(pool), self.rng.choice(pool)
            if len(body) + len(extra) < POST_MAX_LENGTH:
                pairs.append(f"{body} {extra}")
        texts = [text[:POST_MAX_LENGTH] for text in pool + pairs]
        # Every fourth text ends with a hashtag (tag pages and trending need some), chosen
        # by position: the random draws, and so the rest of the data, stay as they were.
        return [
            f"{text} #{TOPICS[n // 4 % len(TOPICS)]}"
            if n % 4 == 0 and len(text) + 22 <= POST_MAX_LENGTH
            else text
            for n, text in enumerate(texts)
        ]

    def insert_posts(self, connection: sa.Connection) -> None:
        """Posts 1 to ``posts``, oldest first, from where an earlier run stopped."""
        done = connection.scalar(sa.select(sa.func.max(Post.id))) or 0
        if done >= self.posts:
            return
        step = HISTORY.total_seconds() / self.posts
        start = self.start.timestamp()
        with _bar("Posts", self.posts) as progress:
            progress.update(done)
            for low in range(done + 1, self.posts + 1, POST_CHUNK):
                high = min(self.posts, low + POST_CHUNK - 1)
                fake_sql.insert_posts(
                    connection, low, high, start, step, self.author_slots, len(self.texts)
                )
                if high == self.posts:
                    fake_sql.date_joined_from_first_posts(connection, start)
                connection.commit()
                progress.update(high - low + 1)

    def insert_follows(self, connection: sa.Connection, positions: dict[int, int]) -> None:
        """Everyone's follows, a chunk of followers at a time, from where an earlier run stopped."""
        per_chunk = max(1, FOLLOW_CHUNK // self.mean_follows)
        last = connection.scalar(sa.select(sa.func.max(followers.c.follower_id)))
        first = 0 if last is None else (positions[last] // per_chunk + 1) * per_chunk
        if first >= self.users:
            return
        with _bar("Follows", self.users) as progress:
            progress.update(first)
            for low in range(first, self.users, per_chunk):
                high = min(self.users, low + per_chunk) - 1
                fake_sql.insert_follows(
                    connection, low, high, self.cap, self.popular_slots, self.now.timestamp()
                )
                connection.commit()
                progress.update(high - low + 1)
