"""home feeds: a post fans out only into feeds that exist; a post locks its author's counts

Feeds are built on a reader's first home visit (``flask fake`` leaves none): until then the
triggers wrote a new post's rows for every follower whether or not they had a feed, rows that
nobody read or trimmed (trims work from the horizon). The upgrade replaces the triggers of a
post's insertion and move with ones that write only into feeds that exist (one probe of
home_feed_horizon's key per follower, for accounts under the fan-out limit), deletes the rows
of readers without a feed, and on PostgreSQL makes each post's, move's and deletion's trigger
lock its author's user_stats row first: two posts by an account crossing the fan-out limit no
longer both promote it (a duplicate key in home_feed_merged), and a feed being built, which
share-locks the rows of the accounts it reads, is waited for and then written into; the
function is never JIT-compiled (skewed follower estimates made PostgreSQL compile a post's
fan-out: 85 ms) (see
app/models/feed.py, whose SQL this file copies with the default settings: a test holds the two
equal). The downgrade puts the triggers back as they were; the rows it deleted were never read.

Revision ID: 9d3f6b2a7c15
Revises: f2b7c4d9e1a3
Create Date: 2026-12-04 23:40:00.000000

"""

from alembic import op

revision = "9d3f6b2a7c15"
down_revision = "f2b7c4d9e1a3"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "tr_home_feed_post_insert": """CREATE TRIGGER tr_home_feed_post_insert AFTER INSERT ON post BEGIN
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM (SELECT 1 AS go WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN post p WHERE p.user_id = NEW.user_id;
INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id)
WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id))
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id)) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
END""",
    "tr_home_feed_post_update": """CREATE TRIGGER tr_home_feed_post_update AFTER UPDATE OF "timestamp", user_id ON post BEGIN
DELETE FROM home_feed WHERE post_id = NEW.id;
DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
END""",
}
SQLITE_TRIGGERS_BEFORE = {
    "tr_home_feed_post_insert": """CREATE TRIGGER tr_home_feed_post_insert AFTER INSERT ON post BEGIN
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM (SELECT 1 AS go WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN post p WHERE p.user_id = NEW.user_id;
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
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id))
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT follower_id FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans WHERE ((follower_id + NEW.id) / 200) * 200 = (follower_id + NEW.id) UNION ALL SELECT NEW.user_id WHERE ((NEW.user_id + NEW.id) / 200) * 200 = (NEW.user_id + NEW.id)) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
END""",
    "tr_home_feed_post_update": """CREATE TRIGGER tr_home_feed_post_update AFTER UPDATE OF "timestamp", user_id ON post BEGIN
DELETE FROM home_feed WHERE post_id = NEW.id;
DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
END""",
}
POSTGRESQL_FUNCTIONS = {
    "home_feed_on_post": """CREATE OR REPLACE FUNCTION home_feed_on_post() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM user_stats WHERE user_id IN (NEW.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM (SELECT 1 AS go WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN post p WHERE p.user_id = NEW.user_id;
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
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
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
    PERFORM 1 FROM user_stats WHERE user_id IN (OLD.user_id, NEW.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    DELETE FROM home_feed WHERE post_id = NEW.id;
    DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
    UPDATE home_feed_author SET "timestamp" = CASE
  WHEN "timestamp" IS NULL OR "timestamp" < NEW."timestamp" THEN NEW."timestamp"
  ELSE "timestamp" END
WHERE user_id = NEW.user_id;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
  ELSE
    PERFORM 1 FROM user_stats WHERE user_id IN (OLD.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    DELETE FROM home_feed WHERE post_id = OLD.id;
    DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
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
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM (SELECT 1 AS go WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN post p WHERE p.user_id = NEW.user_id;
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
    DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
    UPDATE home_feed_author SET "timestamp" = CASE
  WHEN "timestamp" IS NULL OR "timestamp" < NEW."timestamp" THEN NEW."timestamp"
  ELSE "timestamp" END
WHERE user_id = NEW.user_id;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
  ELSE
    DELETE FROM home_feed WHERE post_id = OLD.id;
    DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
  END IF;
  RETURN NULL;
END $$""",
}


# Rows of readers without a feed: one range of the key per such reader.
FEEDLESS_ROWS = """
DELETE FROM home_feed WHERE user_id IN (
  SELECT u.id FROM "user" u
  WHERE NOT EXISTS (SELECT 1 FROM home_feed_horizon h WHERE h.user_id = u.id))"""


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
    op.execute(FEEDLESS_ROWS)


def downgrade():
    _put(SQLITE_TRIGGERS_BEFORE, POSTGRESQL_FUNCTIONS_BEFORE)
