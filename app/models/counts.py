"""Stored counts per account (posts, hidden posts, followers, following) and per post (likes,
replies), kept by the database.

Counting an account's followers or posts over an index costs time in proportion to the count:
the busiest profile (78,485 followers at XL) spent 7.3 ms on it, more than a home page. The
counts are stored in ``user_stats`` instead, one row per account, and database triggers keep
them right on every insert, delete and change of ``followers`` and ``post`` rows, whoever
makes it: pages, ``flask shell``, and the cascades that delete an account's follows and posts
(which no Python code sees). Posting by an account with any number of followers updates one
row.

The triggers are made with the tables (``create_all``) and by the migration that adds the
table; :func:`ensure_user_stats` makes them again and recounts everything, for a bulk load
that set them aside (``flask fake``). SQLite drops a table's triggers when a migration rebuilds
the table (``batch_alter_table``): such a migration must call :func:`ensure_user_stats`
afterwards (a migration test checks that every trigger is present at the head).

Likes likewise: counting the most liked post's 39,280 likes (XL) took 5.4-14 ms per view,
nearly all of its liked-by page's database time, and as much on every card that shows it.
``post_stats`` holds each liked post's count of the likes that count - those of accounts not
suspended - kept by triggers on ``post_like`` (a like, an unlike, and the cascades of a post's
or an account's deletion) and on the account (a suspension takes its likes out of the counts,
lifting it puts them back, and a suspended account's deletion deletes its likes first, while
they are known to be uncounted). A post has a row from its first counted like on; no row is a
count of 0.

Replies likewise (``post_stats.replies``): every card showed its post's count of visible
direct replies by counting them, so a post with 50,000 replies would have cost each page that
shows it about 12 ms (the bench's 500-reply thread at XL: 0.6 ms of its root's statement).
Kept by triggers on ``post`` (a reply, its deletion, hiding and unhiding) and on the account
(suspension, and a suspended account's deletion), as for likes.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.feed import create_feed_triggers, drop_feed_triggers

user_stats = sa.Table(
    "user_stats",
    db.metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    # Every post the account wrote, and how many of them a moderator hid.
    sa.Column("posts", sa.Integer, nullable=False, default=0),
    sa.Column("hidden_posts", sa.Integer, nullable=False, default=0),
    sa.Column("followers", sa.Integer, nullable=False, default=0),
    sa.Column("following", sa.Integer, nullable=False, default=0),
)

post_stats = sa.Table(
    "post_stats",
    db.metadata,
    sa.Column(
        "post_id", sa.Integer, sa.ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    ),
    # Its likes by accounts that are not suspended.
    sa.Column("likes", sa.Integer, nullable=False, default=0),
    # Its direct replies that everyone may see: not hidden, by accounts not suspended.
    sa.Column("replies", sa.Integer, nullable=False, default=0, server_default="0"),
)

# Each trigger's name, and its SQL for each database. The migration that adds the table keeps
# its own copy (migrations do not import the app), which a test holds equal to these.
SQLITE_TRIGGERS = {
    "tr_user_stats_user_insert": """
CREATE TRIGGER tr_user_stats_user_insert AFTER INSERT ON "user" BEGIN
  INSERT INTO user_stats (user_id, posts, hidden_posts, followers, following)
  VALUES (NEW.id, 0, 0, 0, 0);
END""",
    "tr_user_stats_follow_insert": """
CREATE TRIGGER tr_user_stats_follow_insert AFTER INSERT ON followers BEGIN
  UPDATE user_stats SET followers = followers + 1 WHERE user_id = NEW.followed_id;
  UPDATE user_stats SET following = following + 1 WHERE user_id = NEW.follower_id;
END""",
    "tr_user_stats_follow_delete": """
CREATE TRIGGER tr_user_stats_follow_delete AFTER DELETE ON followers BEGIN
  UPDATE user_stats SET followers = followers - 1 WHERE user_id = OLD.followed_id;
  UPDATE user_stats SET following = following - 1 WHERE user_id = OLD.follower_id;
END""",
    "tr_user_stats_post_insert": """
CREATE TRIGGER tr_user_stats_post_insert AFTER INSERT ON post BEGIN
  UPDATE user_stats SET posts = posts + 1,
    hidden_posts = hidden_posts + (NEW.hidden_at IS NOT NULL)
  WHERE user_id = NEW.user_id;
END""",
    "tr_user_stats_post_delete": """
CREATE TRIGGER tr_user_stats_post_delete AFTER DELETE ON post BEGIN
  UPDATE user_stats SET posts = posts - 1,
    hidden_posts = hidden_posts - (OLD.hidden_at IS NOT NULL)
  WHERE user_id = OLD.user_id;
END""",
    "tr_user_stats_post_update": """
CREATE TRIGGER tr_user_stats_post_update AFTER UPDATE OF hidden_at, user_id ON post BEGIN
  UPDATE user_stats SET posts = posts - 1,
    hidden_posts = hidden_posts - (OLD.hidden_at IS NOT NULL)
  WHERE user_id = OLD.user_id;
  UPDATE user_stats SET posts = posts + 1,
    hidden_posts = hidden_posts + (NEW.hidden_at IS NOT NULL)
  WHERE user_id = NEW.user_id;
END""",
}

# PostgreSQL: one function per table. A follow updates both accounts' rows in one statement,
# which locks them in index order: two people following each other at the same moment wait
# for one another instead of deadlocking.
POSTGRESQL_FUNCTIONS = {
    "user_stats_on_user": """
CREATE FUNCTION user_stats_on_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_stats (user_id, posts, hidden_posts, followers, following)
  VALUES (NEW.id, 0, 0, 0, 0);
  RETURN NULL;
END $$""",
    "user_stats_on_follow": """
CREATE FUNCTION user_stats_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  followed integer;
  follower integer;
  step integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    followed := NEW.followed_id; follower := NEW.follower_id; step := 1;
  ELSE
    followed := OLD.followed_id; follower := OLD.follower_id; step := -1;
  END IF;
  UPDATE user_stats
  SET followers = followers + CASE WHEN user_id = followed THEN step ELSE 0 END,
      following = following + CASE WHEN user_id = follower THEN step ELSE 0 END
  WHERE user_id IN (followed, follower);
  RETURN NULL;
END $$""",
    "user_stats_on_post": """
CREATE FUNCTION user_stats_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE user_stats SET posts = posts - 1,
      hidden_posts = hidden_posts - (OLD.hidden_at IS NOT NULL)::integer
    WHERE user_id = OLD.user_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE user_stats SET posts = posts + 1,
      hidden_posts = hidden_posts + (NEW.hidden_at IS NOT NULL)::integer
    WHERE user_id = NEW.user_id;
  END IF;
  RETURN NULL;
END $$""",
}
POSTGRESQL_TRIGGERS = {
    "tr_user_stats_user": 'AFTER INSERT ON "user" FOR EACH ROW '
    "EXECUTE FUNCTION user_stats_on_user()",
    "tr_user_stats_follow": "AFTER INSERT OR DELETE ON followers FOR EACH ROW "
    "EXECUTE FUNCTION user_stats_on_follow()",
    "tr_user_stats_post": "AFTER INSERT OR DELETE OR UPDATE OF hidden_at, user_id ON post "
    "FOR EACH ROW EXECUTE FUNCTION user_stats_on_post()",
}
_TRIGGER_TABLES = {
    "tr_user_stats_user": '"user"',
    "tr_user_stats_follow": "followers",
    "tr_user_stats_post": "post",
}

RECOUNT = """
INSERT INTO user_stats (user_id, posts, hidden_posts, followers, following)
SELECT u.id, COALESCE(p.posts, 0), COALESCE(p.hidden, 0),
  COALESCE(fd.n, 0), COALESCE(fr.n, 0)
FROM "user" u
LEFT JOIN (SELECT user_id, count(*) AS posts, count(hidden_at) AS hidden
           FROM post GROUP BY user_id) p ON p.user_id = u.id
LEFT JOIN (SELECT followed_id, count(*) AS n
           FROM followers GROUP BY followed_id) fd ON fd.followed_id = u.id
LEFT JOIN (SELECT follower_id, count(*) AS n
           FROM followers GROUP BY follower_id) fr ON fr.follower_id = u.id"""
"""Every account's counts from scratch (into an empty ``user_stats``)."""

# Likes (``post_stats``). A like or unlike by a suspended account changes no count (a suspended
# account cannot log in, but ``flask shell`` and the cascades can); a deleted account's likes
# leave the counts as its likes are deleted (one by one, by the cascade), unless it was
# suspended: its likes are deleted first then, while the account says they were not counted.
SQLITE_LIKE_TRIGGERS = {
    "tr_post_stats_like_insert": """
CREATE TRIGGER tr_post_stats_like_insert AFTER INSERT ON post_like
WHEN NOT EXISTS (SELECT 1 FROM "user" WHERE id = NEW.user_id AND suspended_at IS NOT NULL)
BEGIN
  INSERT INTO post_stats (post_id, likes) VALUES (NEW.post_id, 1)
  ON CONFLICT (post_id) DO UPDATE SET likes = post_stats.likes + 1;
END""",
    "tr_post_stats_like_delete": """
CREATE TRIGGER tr_post_stats_like_delete AFTER DELETE ON post_like
WHEN NOT EXISTS (SELECT 1 FROM "user" WHERE id = OLD.user_id AND suspended_at IS NOT NULL)
BEGIN
  UPDATE post_stats SET likes = likes - 1 WHERE post_id = OLD.post_id;
END""",
    "tr_post_stats_suspension": """
CREATE TRIGGER tr_post_stats_suspension AFTER UPDATE OF suspended_at ON "user"
WHEN (OLD.suspended_at IS NULL) != (NEW.suspended_at IS NULL)
BEGIN
  INSERT INTO post_stats (post_id, likes)
  SELECT post_id, CASE WHEN NEW.suspended_at IS NULL THEN 1 ELSE -1 END
  FROM post_like WHERE user_id = NEW.id
  ON CONFLICT (post_id) DO UPDATE SET likes = post_stats.likes + excluded.likes;
END""",
    "tr_post_stats_user_delete": """
CREATE TRIGGER tr_post_stats_user_delete BEFORE DELETE ON "user"
WHEN OLD.suspended_at IS NOT NULL
BEGIN
  DELETE FROM post_like WHERE user_id = OLD.id;
END""",
}

# PostgreSQL: the liker's row is read FOR SHARE, so that a like (or unlike) and a suspension
# of its author at the same moment wait for one another, and the second sees the first: the
# like is counted once or not at all. A like's deletion by the cascade of its post's deletion
# (the post already gone) changes nothing: the counts row goes with the post.
POSTGRESQL_LIKE_FUNCTIONS = {
    "post_stats_on_like": """
CREATE FUNCTION post_stats_on_like() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  suspended boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT suspended_at IS NOT NULL INTO suspended FROM "user" WHERE id = NEW.user_id FOR SHARE;
    IF suspended IS FALSE THEN
      INSERT INTO post_stats (post_id, likes) VALUES (NEW.post_id, 1)
      ON CONFLICT (post_id) DO UPDATE SET likes = post_stats.likes + 1;
    END IF;
  ELSIF EXISTS (SELECT 1 FROM post WHERE id = OLD.post_id) THEN
    -- No account (its deletion's cascade): it was not suspended, or its likes would
    -- have gone before it (post_stats_on_user_delete), uncounted.
    SELECT suspended_at IS NOT NULL INTO suspended FROM "user" WHERE id = OLD.user_id FOR SHARE;
    IF suspended IS NOT TRUE THEN
      UPDATE post_stats SET likes = likes - 1 WHERE post_id = OLD.post_id;
    END IF;
  END IF;
  RETURN NULL;
END $$""",
    "post_stats_on_suspension": """
CREATE FUNCTION post_stats_on_suspension() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_stats (post_id, likes)
  SELECT post_id, CASE WHEN NEW.suspended_at IS NULL THEN 1 ELSE -1 END
  FROM post_like WHERE user_id = NEW.id ORDER BY post_id
  ON CONFLICT (post_id) DO UPDATE SET likes = post_stats.likes + excluded.likes;
  RETURN NULL;
END $$""",
    "post_stats_on_user_delete": """
CREATE FUNCTION post_stats_on_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM post_like WHERE user_id = OLD.id;
  RETURN OLD;
END $$""",
}
POSTGRESQL_LIKE_TRIGGERS = {
    "tr_post_stats_like": "AFTER INSERT OR DELETE ON post_like FOR EACH ROW "
    "EXECUTE FUNCTION post_stats_on_like()",
    "tr_post_stats_suspension": 'AFTER UPDATE OF suspended_at ON "user" FOR EACH ROW '
    "WHEN ((OLD.suspended_at IS NULL) <> (NEW.suspended_at IS NULL)) "
    "EXECUTE FUNCTION post_stats_on_suspension()",
    "tr_post_stats_user_delete": 'BEFORE DELETE ON "user" FOR EACH ROW '
    "WHEN (OLD.suspended_at IS NOT NULL) EXECUTE FUNCTION post_stats_on_user_delete()",
}
_LIKE_TRIGGER_TABLES = {
    "tr_post_stats_like": "post_like",
    "tr_post_stats_suspension": '"user"',
    "tr_post_stats_user_delete": '"user"',
}

RECOUNT_LIKES = """
INSERT INTO post_stats (post_id, likes)
SELECT l.post_id, count(*) FROM post_like l
WHERE l.user_id NOT IN (SELECT u.id FROM "user" u WHERE u.suspended_at IS NOT NULL)
GROUP BY l.post_id"""
"""Every liked post's count from scratch (into an empty ``post_stats``)."""


# Replies (``post_stats.replies``): a post's direct replies that everyone may see. A reply
# counts unless hidden or by a suspended account, so its insertion, deletion and hiding
# (or unhiding) move its parent's count, and an account's suspension (or its lifting) moves
# the count of every post it answered. Replies have no foreign key to their parent (they
# outlive it, app/models/post.py): a reply to a post that is gone counts nowhere. A suspended
# account's deletion deletes its replies first, while they are known to be uncounted, as
# for its likes.
SQLITE_REPLY_TRIGGERS = {
    "tr_post_stats_reply_insert": """
CREATE TRIGGER tr_post_stats_reply_insert AFTER INSERT ON post
WHEN NEW.in_reply_to_id IS NOT NULL AND NEW.hidden_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM "user" WHERE id = NEW.user_id AND suspended_at IS NOT NULL)
BEGIN
  INSERT INTO post_stats (post_id, likes, replies)
  SELECT id, 0, 1 FROM post WHERE id = NEW.in_reply_to_id
  ON CONFLICT (post_id) DO UPDATE SET replies = post_stats.replies + 1;
END""",
    "tr_post_stats_reply_delete": """
CREATE TRIGGER tr_post_stats_reply_delete AFTER DELETE ON post
WHEN OLD.in_reply_to_id IS NOT NULL AND OLD.hidden_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM "user" WHERE id = OLD.user_id AND suspended_at IS NOT NULL)
BEGIN
  UPDATE post_stats SET replies = replies - 1 WHERE post_id = OLD.in_reply_to_id;
END""",
    "tr_post_stats_reply_update": """
CREATE TRIGGER tr_post_stats_reply_update AFTER UPDATE OF hidden_at, in_reply_to_id, user_id
ON post
WHEN (OLD.hidden_at IS NULL) != (NEW.hidden_at IS NULL)
  OR OLD.in_reply_to_id IS NOT NEW.in_reply_to_id OR OLD.user_id != NEW.user_id
BEGIN
  UPDATE post_stats SET replies = replies - 1
  WHERE post_id = OLD.in_reply_to_id AND OLD.hidden_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM "user" WHERE id = OLD.user_id AND suspended_at IS NOT NULL);
  INSERT INTO post_stats (post_id, likes, replies)
  SELECT id, 0, 1 FROM post WHERE id = NEW.in_reply_to_id AND NEW.hidden_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM "user" WHERE id = NEW.user_id AND suspended_at IS NOT NULL)
  ON CONFLICT (post_id) DO UPDATE SET replies = post_stats.replies + 1;
END""",
    "tr_post_stats_reply_suspension": """
CREATE TRIGGER tr_post_stats_reply_suspension AFTER UPDATE OF suspended_at ON "user"
WHEN (OLD.suspended_at IS NULL) != (NEW.suspended_at IS NULL)
BEGIN
  INSERT INTO post_stats (post_id, likes, replies)
  SELECT reply.in_reply_to_id, 0,
    CASE WHEN NEW.suspended_at IS NULL THEN 1 ELSE -1 END * count(*)
  FROM post AS reply JOIN post AS parent ON parent.id = reply.in_reply_to_id
  WHERE reply.user_id = NEW.id AND reply.hidden_at IS NULL
  GROUP BY reply.in_reply_to_id
  ON CONFLICT (post_id) DO UPDATE SET replies = post_stats.replies + excluded.replies;
END""",
    "tr_post_stats_reply_user_delete": """
CREATE TRIGGER tr_post_stats_reply_user_delete BEFORE DELETE ON "user"
WHEN OLD.suspended_at IS NOT NULL
BEGIN
  DELETE FROM post WHERE user_id = OLD.id AND in_reply_to_id IS NOT NULL;
END""",
}

# PostgreSQL: the author's row is read FOR SHARE (a reply and its author's suspension at the
# same moment wait for one another, as likes do) and the parent's FOR KEY SHARE (a parent
# deleted meanwhile is either still there, its count row with it, or not found).
POSTGRESQL_REPLY_FUNCTIONS = {
    "post_stats_on_reply": """
CREATE FUNCTION post_stats_on_reply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  suspended boolean;
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.hidden_at IS NULL) = (NEW.hidden_at IS NULL)
      AND OLD.in_reply_to_id IS NOT DISTINCT FROM NEW.in_reply_to_id
      AND OLD.user_id = NEW.user_id THEN
    RETURN NULL;
  END IF;
  -- A parent gone (deleted by the same statement, as a cascade deletes an account's posts)
  -- takes its row with it: updating that row first would fail its foreign key.
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.in_reply_to_id IS NOT NULL
      AND OLD.hidden_at IS NULL AND EXISTS (SELECT 1 FROM post WHERE id = OLD.in_reply_to_id) THEN
    -- No account (its deletion's cascade): it was not suspended, or its replies would
    -- have gone before it (post_stats_on_reply_user_delete), uncounted.
    SELECT suspended_at IS NOT NULL INTO suspended FROM "user" WHERE id = OLD.user_id FOR SHARE;
    IF suspended IS NOT TRUE THEN
      UPDATE post_stats SET replies = replies - 1 WHERE post_id = OLD.in_reply_to_id;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.in_reply_to_id IS NOT NULL
      AND NEW.hidden_at IS NULL THEN
    SELECT suspended_at IS NOT NULL INTO suspended FROM "user" WHERE id = NEW.user_id FOR SHARE;
    IF suspended IS FALSE THEN
      PERFORM 1 FROM post WHERE id = NEW.in_reply_to_id FOR KEY SHARE;
      IF FOUND THEN
        INSERT INTO post_stats (post_id, likes, replies) VALUES (NEW.in_reply_to_id, 0, 1)
        ON CONFLICT (post_id) DO UPDATE SET replies = post_stats.replies + 1;
      END IF;
    END IF;
  END IF;
  RETURN NULL;
END $$""",
    "post_stats_on_reply_suspension": """
CREATE FUNCTION post_stats_on_reply_suspension() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_stats (post_id, likes, replies)
  SELECT parent.id, 0, CASE WHEN NEW.suspended_at IS NULL THEN 1 ELSE -1 END * count(*)
  FROM post AS reply JOIN post AS parent ON parent.id = reply.in_reply_to_id
  WHERE reply.user_id = NEW.id AND reply.hidden_at IS NULL
  GROUP BY parent.id ORDER BY parent.id
  ON CONFLICT (post_id) DO UPDATE SET replies = post_stats.replies + excluded.replies;
  RETURN NULL;
END $$""",
    "post_stats_on_reply_user_delete": """
CREATE FUNCTION post_stats_on_reply_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM post WHERE user_id = OLD.id AND in_reply_to_id IS NOT NULL;
  RETURN OLD;
END $$""",
}
POSTGRESQL_REPLY_TRIGGERS = {
    "tr_post_stats_reply": "AFTER INSERT OR DELETE OR UPDATE OF hidden_at, in_reply_to_id, "
    "user_id ON post FOR EACH ROW EXECUTE FUNCTION post_stats_on_reply()",
    "tr_post_stats_reply_suspension": 'AFTER UPDATE OF suspended_at ON "user" FOR EACH ROW '
    "WHEN ((OLD.suspended_at IS NULL) <> (NEW.suspended_at IS NULL)) "
    "EXECUTE FUNCTION post_stats_on_reply_suspension()",
    "tr_post_stats_reply_user_delete": 'BEFORE DELETE ON "user" FOR EACH ROW '
    "WHEN (OLD.suspended_at IS NOT NULL) EXECUTE FUNCTION post_stats_on_reply_user_delete()",
}
_REPLY_TRIGGER_TABLES = {
    "tr_post_stats_reply": "post",
    "tr_post_stats_reply_suspension": '"user"',
    "tr_post_stats_reply_user_delete": '"user"',
}

RECOUNT_REPLIES = """
INSERT INTO post_stats (post_id, likes, replies)
SELECT parent.id, 0, count(*)
FROM post AS reply JOIN post AS parent ON parent.id = reply.in_reply_to_id
WHERE reply.hidden_at IS NULL
  AND reply.user_id NOT IN (SELECT u.id FROM "user" u WHERE u.suspended_at IS NOT NULL)
GROUP BY parent.id
ON CONFLICT (post_id) DO UPDATE SET replies = excluded.replies"""
"""Every answered post's count from scratch (after :data:`RECOUNT_LIKES`, into its rows)."""


def counted_replies(post_id: sa.ColumnElement[int]) -> sa.Select[tuple[int]]:
    """How many direct replies of the post ``post_id`` everyone may see (not hidden, by
    accounts not suspended), stored: one key lookup, however many replies. With a column for
    ``post_id`` it is correlated, for a listing's own statement (no statement per card)."""
    # An aggregate over at most one row: 0, not NULL, for a post nobody answered.
    return sa.select(sa.func.coalesce(sa.func.max(post_stats.c.replies), 0)).where(
        post_stats.c.post_id == post_id
    )


def _sql(dialect: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The triggers, functions (PostgreSQL) and triggers' tables of the stored counts."""
    if dialect == "sqlite":
        return {**SQLITE_TRIGGERS, **SQLITE_LIKE_TRIGGERS, **SQLITE_REPLY_TRIGGERS}, {}, {}
    return (
        {**POSTGRESQL_TRIGGERS, **POSTGRESQL_LIKE_TRIGGERS, **POSTGRESQL_REPLY_TRIGGERS},
        {**POSTGRESQL_FUNCTIONS, **POSTGRESQL_LIKE_FUNCTIONS, **POSTGRESQL_REPLY_FUNCTIONS},
        {**_TRIGGER_TABLES, **_LIKE_TRIGGER_TABLES, **_REPLY_TRIGGER_TABLES},
    )


def trigger_names(dialect: str) -> set[str]:
    """The names of the triggers that keep ``user_stats`` and ``post_stats``, on ``dialect``."""
    return set(_sql(dialect)[0])


def present_triggers(connection: sa.Connection) -> set[str]:
    """Which of the triggers that keep ``user_stats`` and ``post_stats`` the database has."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    found = set(connection.exec_driver_sql(query).scalars())
    return found & trigger_names(connection.dialect.name)


def create_triggers(connection: sa.Connection) -> None:
    """Make the triggers (and on PostgreSQL their functions) that are missing."""
    present = present_triggers(connection)
    triggers, functions, _tables = _sql(connection.dialect.name)
    if connection.dialect.name == "sqlite":
        for name, sql in triggers.items():
            if name not in present:
                connection.exec_driver_sql(sql)
        return
    for sql in functions.values():
        connection.exec_driver_sql(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    for name, sql in triggers.items():
        if name not in present:
            connection.exec_driver_sql(f"CREATE TRIGGER {name} {sql}")


def drop_triggers(connection: sa.Connection) -> None:
    """Remove the triggers (a bulk load does, then :func:`ensure_user_stats`), and those of
    the home feeds, which are switched off until rebuilt (:mod:`app.models.feed`)."""
    drop_feed_triggers(connection)
    triggers, functions, tables = _sql(connection.dialect.name)
    if connection.dialect.name == "sqlite":
        for name in triggers:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, table in tables.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in functions:
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")


def ensure_user_stats(connection: sa.Connection) -> None:
    """Make the missing triggers and count everything again, in the connection's transaction.

    On PostgreSQL the tables are locked first, so no follow, post or like made meanwhile is
    missed by the recount or counted twice.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql('LOCK TABLE "user", followers, post, post_like IN SHARE MODE')
    create_triggers(connection)
    connection.execute(sa.delete(user_stats))
    connection.exec_driver_sql(RECOUNT)
    connection.execute(sa.delete(post_stats))
    connection.exec_driver_sql(RECOUNT_LIKES)
    connection.exec_driver_sql(RECOUNT_REPLIES)
    # Feeds set aside with the triggers stay off (pages read the posts) until rebuilt; new
    # posts and follows are written into the feeds of the readers who have one.
    create_feed_triggers(connection)


@sa.event.listens_for(db.metadata, "after_create")
def _create_triggers(_metadata, connection: sa.Connection, **_kw) -> None:
    create_triggers(connection)


@sa.event.listens_for(db.metadata, "after_drop")
def _drop_functions(_metadata, connection: sa.Connection, **_kw) -> None:
    # Triggers go with their tables; PostgreSQL's functions stay unless dropped.
    if connection.dialect.name == "postgresql":
        for name in _sql("postgresql")[1]:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")
