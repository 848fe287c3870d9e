"""merged accounts' newest post time: lowered when that post is deleted

A merged account's newest post time (home_feed_author.timestamp, which bounds the accounts a
home page probes) moved up with every post and never down: after a write load's posts were
deleted, the writers over the fan-out limit kept their deleted posts' times, and every home page
whose feed rows were younger probed them for nothing (docs/performance.md, "Merged accounts'
newest time after deletes"). The upgrade replaces the triggers of a post's deletion and move with ones that
bring the time down to the author's newest post left when their newest goes (one seek of the
post author index), the PostgreSQL function locking the author's row on a post so that such a
deletion waits for a post under way (see app/models/feed.py, whose SQL this file copies with the
default settings: a test holds the two equal), and sets every merged account's time to its
newest post. The downgrade puts the triggers back as they were (the times stay: they are right
under either).

Revision ID: e4c1b8f2a6d9
Revises: c8d4f2a7e9b1
Create Date: 2026-12-04 15:00:00.000000

"""

from alembic import op

revision = "e4c1b8f2a6d9"
down_revision = "c8d4f2a7e9b1"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "tr_home_feed_post_update": """CREATE TRIGGER tr_home_feed_post_update AFTER UPDATE OF "timestamp", user_id ON post BEGIN
DELETE FROM home_feed WHERE post_id = NEW.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
END""",
    "tr_home_feed_post_delete": """CREATE TRIGGER tr_home_feed_post_delete AFTER DELETE ON post BEGIN
DELETE FROM home_feed WHERE post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
END""",
}
SQLITE_TRIGGERS_BEFORE = {
    "tr_home_feed_post_update": """CREATE TRIGGER tr_home_feed_post_update AFTER UPDATE OF "timestamp", user_id ON post BEGIN
DELETE FROM home_feed WHERE post_id = NEW.id;
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
END""",
    "tr_home_feed_post_delete": """CREATE TRIGGER tr_home_feed_post_delete AFTER DELETE ON post BEGIN
DELETE FROM home_feed WHERE post_id = OLD.id;
END""",
}
POSTGRESQL_FUNCTIONS = {
    "home_feed_on_post": """CREATE OR REPLACE FUNCTION home_feed_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id)
WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
    UPDATE home_feed_author SET "timestamp" = CASE
  WHEN "timestamp" IS NULL OR "timestamp" < NEW."timestamp" THEN NEW."timestamp"
  ELSE "timestamp" END
WHERE user_id = NEW.user_id;
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
    PERFORM 1 FROM home_feed_horizon WHERE user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id)) ORDER BY user_id FOR UPDATE;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id))
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id)) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
  ELSIF TG_OP = 'UPDATE' THEN
    DELETE FROM home_feed WHERE post_id = NEW.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
    UPDATE home_feed_author SET "timestamp" = CASE
  WHEN "timestamp" IS NULL OR "timestamp" < NEW."timestamp" THEN NEW."timestamp"
  ELSE "timestamp" END
WHERE user_id = NEW.user_id;
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
  ELSE
    DELETE FROM home_feed WHERE post_id = OLD.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
  END IF;
  RETURN NULL;
END $$""",
}
POSTGRESQL_FUNCTIONS_BEFORE = {
    "home_feed_on_post": """CREATE OR REPLACE FUNCTION home_feed_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id)
WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
    UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
    PERFORM 1 FROM home_feed_horizon WHERE user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id)) ORDER BY user_id FOR UPDATE;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id))
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id)) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
  ELSIF TG_OP = 'UPDATE' THEN
    DELETE FROM home_feed WHERE post_id = NEW.id;
    UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
  ELSE
    DELETE FROM home_feed WHERE post_id = OLD.id;
  END IF;
  RETURN NULL;
END $$""",
}


def _put(sqlite_triggers: dict[str, str], postgresql_functions: dict[str, str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, sql in sqlite_triggers.items():
            op.execute(f"DROP TRIGGER {name}")
            op.execute(sql)
    else:
        for sql in postgresql_functions.values():
            op.execute(sql)


def upgrade():
    _put(SQLITE_TRIGGERS, POSTGRESQL_FUNCTIONS)
    op.execute(
        """UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = home_feed_author.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)"""
    )


def downgrade():
    _put(SQLITE_TRIGGERS_BEFORE, POSTGRESQL_FUNCTIONS_BEFORE)
