"""``flask fake``: fill an empty database with realistic fake users, follows, posts and likes.

Built for volume: the 100,000 users / 10 million posts of the benchmark's XL set take about
ten minutes of CPU on PostgreSQL (docs/performance.md, "Seeding XL"); home feeds are not
written, each is built on its reader's first home visit. Python
makes what needs Faker or a seed (names, texts, who is how popular and how active, the
replies) and draws the follows (written with COPY on PostgreSQL); the database draws the
millions of posts itself, search words and hashtags included; all in committed chunks
(:mod:`app.commands.fake_sql`). Every fake user shares one password, hashed once: hashing
100,000 passwords would take longer than the rest.

The data is shaped like a real community: a few accounts are followed by almost everyone and
most by few (Zipf popularity), how many accounts people follow varies widely (a few follow the
maximum of 2,000), and a few people write most posts while many post rarely. About a fifth of
the posts are replies, in conversations shaped like real ones
(:mod:`app.commands.fake_threads`), and people like posts, a few of them thousands of times
(:mod:`app.commands.fake_likes`).

Each chunk is committed, so a run that stops half-way leaves a working database; running the
same command again with ``--resume`` carries on from the last chunk. What the app keeps row by
row as people use the site (indexes in random order, triggers, the stored counts) is set aside
for the load and made again in one pass at its end: :func:`rebuild_derived` is where.
"""

from __future__ import annotations

import itertools
import math
import queue
import random
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
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
from app.commands.fake_threads import ReplyPlan
from app.extensions import db
from app.models import POST_MAX_LENGTH, Notification, Post, User, followers
from app.models.counts import ensure_user_stats
from app.models.feed import reset_home_feeds
from app.models.search import refill_recent
from app.models.types import utcnow

DEFAULT_PASSWORD = "chirp-fake-password"  # noqa: S105  (documented, for fake accounts only)
MAX_FOLLOWS = 2000
HISTORY = timedelta(days=730)
POST_CHUNK = 250_000  # posts per committed chunk
FOLLOW_CHUNK = 250_000  # about this many follows per committed chunk
USER_CHUNK = 10_000
TEXT_POOL = 4000  # fake texts of each kind (paragraphs, sentences) from S up
POSTS_PER_POOLED_TEXT = 12
"""Below S, the pool has one text of each kind per this many posts (at least
:data:`MIN_TEXT_POOL`): each of its texts, pairs included, then serves about four posts, as
at S. At the full size, cutting the pool's words and storing them took about 3 s per
connection on PostgreSQL (three per load), whatever the posts: most of a 5,000-post load."""
MIN_TEXT_POOL = 100
TOPICS = ["birds", "coffee", "rain", "music", "books", "running", "gardens", "chess", "tea"]
SLOTS_PER_USER = 20  # resolution of the weighted draw of authors (see fake_sql)
FOLLOW_DRAWS = 3  # rounds of drawing follows: each draws again what duplicates took away
POST_PARTS = 2  # connections writing the chunks of posts at once (PostgreSQL)


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
    help="Same seed, same names, texts, weights and follows (the database draws the rest).",
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
            community.load(connection, password_hash, bool(present), likes)
    except KeyboardInterrupt:
        # Without its foreign keys the database would not cascade deletes: put them back now.
        # (Killed outright, it cannot: then --resume does, and should run before any use.)
        click.echo("Interrupted: restoring the indexes, foreign keys and counts...")
        with db.engine.connect() as connection:
            fake_sql.restore_after_load(connection)
            rebuild_derived(connection)
        raise click.ClickException(
            "Interrupted. Everything committed so far is kept and usable; run the same "
            "command with --resume to finish."
        ) from None
    phase = community.phase
    if db.engine.dialect.name == "postgresql":
        click.echo("Vacuuming and analysing...")
        # Fresh statistics for the planner, and a visibility map so that index-only scans
        # (which the listings rely on) read no table pages. The two largest tables each on a
        # connection of its own: one VACUUM works on one core (XL: 6.2-7.4 s for all).
        with phase("vacuum"), ThreadPoolExecutor(len(VACUUMED)) as pool:
            for done in [pool.submit(_vacuum, db.engine, tables) for tables in VACUUMED]:
                done.result()
        with db.engine.begin() as connection:
            fake_sql.enable_autovacuum(connection)  # off until now: see its docstring
    follow_count = db.session.scalar(sa.select(sa.func.count()).select_from(followers))
    post_count = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
    reply_count = db.session.scalar(sa.select(sa.func.count(Post.in_reply_to_id)))
    click.echo(
        f"Added {users} users, {follow_count} follows, {post_count} posts "
        f"({reply_count} of them replies), {community.like_count} likes and "
        f"{community.notifications} notifications in {time.perf_counter() - started:.0f} s. "
        f"Log in as any of them (e.g. {community.usernames[0]}) with the password {password!r}."
    )
    click.echo(
        "Seconds per step: " + ", ".join(f"{k} {v:.1f}" for k, v in community.seconds.items())
    )


VACUUMED = (
    ("post",),
    ("post_search", '"user"', "followers", "post_like", "notification"),
    ("post_search_recent", "post_tag", "tag"),
)
"""The tables ``flask fake`` vacuums and analyses at the end, in groups vacuumed at once."""


def _vacuum(engine: sa.Engine, tables: tuple[str, ...]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")


def rebuild_derived(connection: sa.Connection) -> None:
    """The tables kept from the posts and follows as people use the site, made again in one
    pass each after the bulk load (finished or interrupted), which set their upkeep aside.

    The one place for such tables: the stored counts (``user_stats``) and the home feeds, with
    their triggers (the counts' set-aside drops the feeds' too), and the newest posts' search
    rows (``post_search_recent``, PostgreSQL). The feeds themselves are not
    written here: each is built on its reader's first home visit (``reset_home_feeds``; writing
    all of them was the longest step at XL, 299 s of wall for up to 40 million rows). The
    search index is not here either: it is written chunk by chunk with the posts.
    """
    ensure_user_stats(connection)
    reset_home_feeds(connection)
    # The newest posts' search rows (most relevant's index), copied in one statement.
    refill_recent(connection)
    connection.commit()


def _bar(label: str, length: int):
    return click.progressbar(length=length, label=f"{label:8}", show_eta=True)


class FakeCommunity:
    """Deterministic per-account facts for ``users`` accounts; the database draws the rest."""

    def __init__(self, users: int, posts: int, follows: int, seed: int) -> None:
        self.seed = seed
        self.seconds: dict[str, float] = {}  # per step of the load, for the closing summary
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

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a step of the load (into :attr:`seconds`)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def made_these(self, present: int) -> bool:
        """Whether the database's ``present`` users are the ones these options make."""
        first, last = (self.usernames[0].lower(), self.usernames[-1].lower())
        found = db.session.scalars(
            sa.select(User.username_key).where(User.username_key.in_([first, last]))
        ).all()
        return present == self.users and len(found) == 2

    def load(
        self, connection: sa.Connection, password_hash: str, users_present: bool, likes: int
    ) -> None:
        """Insert whatever is missing, committing chunk by chunk."""
        fake_sql.speed_up_bulk_load(connection)
        # Set aside before the accounts too: each account's insert ran the stored counts' and
        # the home feeds' triggers, whose rows the recount at the end makes again anyway.
        if set_aside := fake_sql.set_aside_for_load(connection):
            click.echo(
                f"Dropped for the load, made again at the end: {', '.join(set_aside)}. "
                "If the run is interrupted, finish it with --resume to have them back."
            )
        with self.phase("users"):
            if not users_present:
                self.insert_users(connection, password_hash)
                connection.commit()
            ids = dict(connection.execute(sa.select(User.username_key, User.id)).all())
            ids = [ids[name.lower()] for name in self.usernames]
            accounts, numbers = self.accounts(ids)
            if connection.dialect.name == "postgresql":
                # The posts' connections fill lookup tables of their own; this one's would
                # go unused (XL: 2 s of the server's and 1 s of this process's time).
                fake_sql.add_tags(connection, self.texts)
            else:
                fake_sql.create_temp_tables(connection)
                fake_sql.fill_temp_tables(connection, accounts, self.texts, numbers)
            self._accounts, self._numbers = accounts, numbers  # for the posts' connections
            connection.commit()
        self.author_slots = sum(a["author_slots"] for a in accounts)
        with self.phase("posts"):
            self.insert_posts(connection)
        # Likes before the indexes and foreign keys of likes and notifications are back, too.
        like_rng = random.Random(self.seed + 3)  # noqa: S311
        if connection.dialect.name != "postgresql":
            with self.phase("follows"):
                self.insert_follows(connection, ids)
            with self.phase("likes"):
                self.like_count = add_likes(db.engine, like_rng, likes)
            self._finish_load(connection, [])
            return
        with ThreadPoolExecutor(len(fake_sql.BESIDE) + 2) as pool:
            # PostgreSQL builds a GIN index on one core, the costliest indexes to make (XL:
            # 37 and 52 s alone for the words' and the pairs'): each search index is made on
            # a connection of its own from here on, beside the join dates, follows, likes,
            # notifications, the other indexes and the recounts, none of which reads them.
            # (An interrupt waits for them, leaving the pool, before the indexes are
            # restored.) Started after the notifications, as before, they left a core idle
            # in the join dates and the follows' last chunks, and ended only with the indexes.
            beside = [
                pool.submit(fake_sql.restore_beside, db.engine, [name]) for name in fake_sql.BESIDE
            ]
            with self.phase("posts"):
                self._date_joined(connection)
            self._follow_and_like(connection, ids, like_rng, likes)
            self._finish_load(connection, beside, pool)

    def _follow_and_like(
        self, connection: sa.Connection, ids: list[int], like_rng: random.Random, likes: int
    ) -> None:
        """The follows (drawn here) and the likes (drawn by the server) at the same time."""
        # On PostgreSQL the server draws the likes on a connection of its own while this
        # process draws the follows (neither needs the other): on two cores that overlaps
        # the two longest steps after the posts (XL: 141 and 176 s one after the other).
        stop = threading.Event()
        with self.phase("follows and likes"), ThreadPoolExecutor(1) as pool:
            # The posts' times are functions of their numbers here (fake_sql.posted_at).
            clock = (self.start.timestamp(), self._post_step(), self.seed)
            liking = pool.submit(
                add_likes, db.engine, like_rng, likes, stop, progress=False, posts_clock=clock
            )
            try:
                self.insert_follows(connection, ids)
            except BaseException:
                stop.set()  # interrupted: the likes end with the chunk they are writing
                raise
            self.like_count = liking.result()

    def _date_joined(self, connection: sa.Connection) -> None:
        """PostgreSQL: once the posts are in, move people's join dates to just before their
        first post; then the post id sequence past the posts."""
        if connection.scalar(sa.select(followers.c.follower_id).limit(1)) is None:
            # Before the follows, which start when both accounts existed. Drawn from the
            # account's id: made again by a resumed run, it moves nobody.
            fake_sql.date_joined_from_first_posts(connection, self.start.timestamp(), self.seed)
        fake_sql.move_post_sequence(connection, self.posts)
        connection.commit()

    def _finish_load(
        self,
        connection: sa.Connection,
        beside: list[Future],
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        """Notifications, then what the load set aside and the derived tables; on PostgreSQL
        ``beside`` are the search indexes being made in ``pool`` meanwhile."""
        # Made in one transaction: present means made (and a resumed run must not tell twice).
        self.notifications = connection.scalar(sa.select(sa.func.count()).select_from(Notification))
        connection.commit()
        loaded, later, skip = None, (), ()
        if pool is not None:
            # The notifications only read posts, follows and likes: those tables' indexes
            # are made meanwhile (a core idled while the notifications were written).
            loaded = pool.submit(fake_sql.restore_beside, db.engine, fake_sql.LOAD_INDEXES)
            later = fake_sql.KEYS_BESIDE_RECOUNT
            skip = fake_sql.BESIDE + fake_sql.AFTER_COUNTS
        if not self.notifications:
            click.echo("Telling people...")
            with self.phase("notifications"):
                self.notifications = add_notifications(db.engine)
        # Autovacuum stays off until the closing VACUUM (fake_command) is done.
        with self.phase("indexes"):
            if loaded is not None:
                # The keys lock their tables: after those tables' indexes. (The search
                # indexes are made by now, as a rule: they end with the follows.)
                beside = [*beside, loaded]
                for future in beside:
                    future.result()
            made = fake_sql.restore_after_load(
                connection, skip, autovacuum=False, validated_later=later
            )
            if made:
                click.echo(f"Made again: {', '.join(made)}.")
        checked = None
        if pool is not None:
            keys = fake_sql.not_valid_keys(connection, only=later)
            connection.commit()
            # One at a time: the recount has the other core. (Six at once took it from 29 to
            # 40 s at XL.)
            checked = pool.submit(fake_sql.validate_keys, db.engine, keys, 1)
        with self.phase("derived tables"):
            rebuild_derived(connection)
        with self.phase("search index, the rest"):
            if checked is not None:
                checked.result()
            if beside:
                made = [name for future in beside for name in future.result()]
                made += fake_sql.restore_after_load(connection, autovacuum=False)
                if made:
                    click.echo(f"Made again after the rest: {', '.join(made)}.")
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
        """``fake_user`` rows, and the largest per-account count spelled out as rows.

        Also, for :meth:`insert_follows`: who is how popular (:attr:`fame`, cumulative Zipf
        weights, and :attr:`by_fame`), how many each follows (:attr:`wanted`) and who follows
        the most popular (:attr:`heavy`).
        """
        order = list(range(self.users))
        self.shape_rng.shuffle(order)  # popularity rank is independent of everything else
        popularity = [0] * self.users
        for rank, index in enumerate(order):
            popularity[index] = rank
        self.by_fame = order  # positions, most popular first
        self.heavy = set(self.shape_rng.sample(range(self.users), max(1, self.users // 1000)))
        # Log-normal with sigma 1: mean = median * e^0.5.
        median = self.mean_follows / math.exp(0.5)
        # Log-normal activity: most people post now and then, a few post all the time.
        activity = [self.shape_rng.lognormvariate(0.0, 1.6) for _ in range(self.users)]
        self.fame = list(itertools.accumulate(1.0 / (rank + 3) for rank in popularity))  # Zipf
        author_slots = self._slots(activity)
        self.wanted = [
            min(self.cap, max(1, round(self.shape_rng.lognormvariate(math.log(median), 1.0))))
            for _ in ids
        ]
        rows, author_start = [], 0
        for pos, user_id in enumerate(ids):
            rows.append(
                {
                    "pos": pos,
                    "id": user_id,
                    "author_start": author_start,
                    "author_slots": author_slots[pos],
                }
            )
            author_start += author_slots[pos]
        return rows, max(author_slots)

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
        each_kind = min(TEXT_POOL, max(MIN_TEXT_POOL, self.posts // POSTS_PER_POOLED_TEXT))
        pool = [
            self.faker.text(max_nb_chars=self.rng.choice((40, 80, 140))).replace("\n", " ")
            for _ in range(each_kind)
        ]
        pool += [self.faker.sentence(nb_words=self.rng.randint(2, 9)) for _ in range(each_kind)]
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

    def _post_step(self) -> float:
        """Seconds between one post and the next (each is jittered within its step)."""
        return HISTORY.total_seconds() / self.posts if self.posts else 0.0

    def insert_posts(self, connection: sa.Connection) -> None:
        """Posts 1 to ``posts``, oldest first, from where an earlier run stopped, with their
        search words and tags, drawn by the database.

        Drawing them in Python instead and writing them with COPY (PostgreSQL) or
        ``executemany`` (SQLite) was measured at L: no faster on PostgreSQL (the same server
        CPU time, 4 s more of the command's), three times slower on SQLite (40 s against 12 s);
        see docs/performance.md, "Seeding". On PostgreSQL the chunks are written on
        :data:`POST_PARTS` connections at once (:meth:`_insert_posts_in_parts`).
        """
        step, start = self._post_step(), self.start.timestamp()
        replies = ReplyPlan(random.Random(self.seed + 2), self.posts)  # noqa: S311
        if connection.dialect.name == "postgresql":
            self._insert_posts_in_parts(connection, replies, start, step)
            return
        done = connection.scalar(sa.select(sa.func.max(Post.id))) or 0
        if done >= self.posts:
            return
        replies.upto(done)  # written already
        with _bar("Posts", self.posts) as progress:
            progress.update(done)
            for low in range(done + 1, self.posts + 1, POST_CHUNK):
                high = min(self.posts, low + POST_CHUNK - 1)
                fake_sql.insert_posts(
                    connection,
                    low,
                    high,
                    start,
                    step,
                    self.author_slots,
                    len(self._accounts),
                    len(self.texts),
                    replies.upto(high),
                )
                if high == self.posts:
                    fake_sql.date_joined_from_first_posts(connection, start)
                connection.commit()
                progress.update(high - low + 1)

    def _insert_posts_in_parts(
        self, connection: sa.Connection, replies: ReplyPlan, start: float, step: float
    ) -> None:
        """PostgreSQL: the chunks of posts missing (anywhere: an interrupted run may leave a
        gap), each written and committed by whichever of :data:`POST_PARTS` connections is
        free, while this thread plans the replies chunk by chunk, in order.

        A chunk needs no other: its draws are functions of the post's number
        (:func:`fake_sql.insert_posts_drawn_by_number`). PostgreSQL runs a statement on one
        core; at XL the posts were the load's longest step on one connection (358 s).
        """
        chunks = [
            (low, min(self.posts, low + POST_CHUNK - 1))
            for low in range(1, self.posts + 1, POST_CHUNK)
        ]
        missing = set(fake_sql.missing_chunks(connection, chunks))
        highest = connection.scalar(sa.select(sa.func.max(Post.id))) or 0
        connection.commit()
        if missing:
            self._write_chunks(chunks, missing, replies, start, step, highest)

    def _write_chunks(
        self,
        chunks: list[tuple[int, int]],
        missing: set[int],
        replies: ReplyPlan,
        start: float,
        step: float,
        highest: int,
    ) -> None:
        """Hand the ``missing`` chunks to :data:`POST_PARTS` threads (one per chunk if they
        are fewer), each with a connection (and lookup tables) of its own; re-raise the first
        error (or Ctrl-C) once every thread has ended with the chunk it was writing."""
        engine, accounts, numbers = db.engine, self._accounts, self._numbers
        tasks: queue.Queue = queue.Queue(maxsize=POST_PARTS)
        stop, lock, failed = threading.Event(), threading.Lock(), []
        sequence = [highest]  # the highest post id written, under the lock

        def work(progress) -> None:
            try:
                with engine.connect() as part:
                    fake_sql.speed_up_bulk_load(part)
                    fake_sql.create_temp_tables(part)
                    fake_sql.fill_temp_tables(part, accounts, self.texts, numbers)
                    part.commit()
                    while (task := tasks.get()) is not None:
                        if stop.is_set():
                            continue  # taken off the queue, so that the producer ends
                        low, high, chunk_replies = task
                        try:
                            fake_sql.insert_posts(
                                part,
                                low,
                                high,
                                start,
                                step,
                                self.author_slots,
                                len(self._accounts),
                                len(self.texts),
                                chunk_replies,
                                self.seed,
                            )
                            part.commit()
                            with lock:  # never back: another part may have written higher
                                sequence[0] = max(sequence[0], high)
                                fake_sql.move_post_sequence(part, sequence[0])
                                part.commit()
                                progress.update(high - low + 1)
                        except BaseException as error:  # Ctrl-C too: the thread tells
                            failed.append(error)
                            stop.set()
                    fake_sql.drop_temp_tables(part)
                    fake_sql.finish_bulk_load(part)
                    part.commit()
            except BaseException as error:
                failed.append(error)
                stop.set()
                while tasks.get() is not None:
                    pass

        def hand(task) -> None:
            while not stop.is_set():
                try:
                    tasks.put(task, timeout=0.2)
                    return
                except queue.Full:
                    continue

        with _bar("Posts", self.posts) as progress:
            progress.update(sum(h - low + 1 for low, h in chunks if low not in missing))
            threads = [
                threading.Thread(target=work, args=(progress,), name=f"posts-{number}")
                for number in range(min(POST_PARTS, len(missing)))  # one chunk: one part
            ]
            for thread in threads:
                thread.start()
            try:
                for low, high in chunks:
                    chunk_replies = replies.upto(high)  # planned in order, written or not
                    if low in missing:
                        hand((low, high, chunk_replies))
            except BaseException:
                stop.set()
                raise
            finally:
                for _ in threads:
                    tasks.put(None)  # the threads take what is queued (stopped: unwritten)
                for thread in threads:
                    thread.join()
        if failed:
            raise failed[0]

    def insert_follows(self, connection: sa.Connection, ids: list[int]) -> None:
        """Everyone's follows, a chunk of followers at a time, from where an earlier run stopped.

        Drawn here and written with COPY on PostgreSQL (:func:`fake_sql.insert_follows`): the
        database drawing them itself, in three rounds of ``INSERT ... SELECT`` that each
        checked the follows made so far, was the costliest part of the load. Each chunk draws
        from a generator seeded by ``--seed`` and the chunk, so a resumed run makes the same
        follows an uninterrupted one does.
        """
        per_chunk = max(1, FOLLOW_CHUNK // self.mean_follows)
        last = connection.scalar(sa.select(sa.func.max(followers.c.follower_id)))
        first = 0 if last is None else (ids.index(last) // per_chunk + 1) * per_chunk
        if first >= self.users:
            return
        joined_at = dict(connection.execute(sa.select(User.id, User.created_at)).all())
        # Times as microseconds since 1970 (fake_sql.insert_follows): datetime arithmetic
        # per follow cost more than drawing it.
        joined = [fake_sql.micros(joined_at[user_id]) for user_id in ids]
        now = fake_sql.micros(self.now)
        most_popular = self.by_fame[: self.cap + 1]
        with _bar("Follows", self.users) as progress:
            progress.update(first)
            for low in range(first, self.users, per_chunk):
                high = min(self.users, low + per_chunk)
                rng = random.Random(f"{self.seed} follows {low}")  # noqa: S311
                rows = []
                for pos in range(low, high):
                    if pos in self.heavy:
                        followed = [p for p in most_popular if p != pos][: self.cap]
                    else:
                        followed = self._draw_followed(rng, pos)
                    for other in followed:
                        # After both accounts existed, nearer now more often than not.
                        since = max(joined[pos], joined[other])
                        began = since + int((now - since) * max(rng.random(), rng.random()))
                        rows.append((ids[pos], ids[other], began))
                fake_sql.insert_follows(connection, rows)
                connection.commit()
                progress.update(high - low)

    def _draw_followed(self, rng: random.Random, pos: int) -> list[int]:
        """Whom the account at ``pos`` follows (positions): drawn by popularity, a draw of
        oneself or of someone already followed dropped and drawn again, in up to
        :data:`FOLLOW_DRAWS` rounds (so a few follow a little fewer than they wanted)."""
        chosen: set[int] = set()
        for _ in range(FOLLOW_DRAWS):
            missing = self.wanted[pos] - len(chosen)
            if missing <= 0:
                break
            chosen.update(rng.choices(range(self.users), cum_weights=self.fame, k=missing))
            chosen.discard(pos)
        return sorted(chosen)
