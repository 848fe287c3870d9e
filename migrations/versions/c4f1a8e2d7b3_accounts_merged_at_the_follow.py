"""home feeds: an account is merged at the follow that takes it past the fan-out limit

An account past the fan-out limit (250 followers) joined home_feed_author (its posts read at
page time) at its next post, which took its rows out of its followers' feeds. Until that post
every new follow copied its newest posts into the new follower's feed, so an account followed
by thousands before posting again left that post all their rows to delete: 3.7-4.2 s for
5,000 new followers at L (docs/performance.md, "The promotion at the follow"). The upgrade
merges an account when its stored followers count passes the limit, by a trigger on
``user_stats`` (PostgreSQL: a new function too), so at most 251 feeds hold its rows then; a
post's trigger no longer tests for a promotion; on PostgreSQL the follow that promotes locks
the followers' horizons in key order first. It then merges the accounts past the limit that
are not merged yet (by touching their counts row: the new trigger does it). See
app/models/feed.py, whose SQL this file copies with the default settings (a test holds the
two equal). The downgrade puts the triggers back as they were; merged accounts stay merged.

Revision ID: c4f1a8e2d7b3
Revises: b7e1d4a9c2f5
Create Date: 2026-12-06 06:00:00.000000

"""

from alembic import op

revision = "c4f1a8e2d7b3"
down_revision = "b7e1d4a9c2f5"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "tr_home_feed_post_insert": """CREATE TRIGGER tr_home_feed_post_insert AFTER INSERT ON post BEGIN
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
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
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
END""",
    "tr_home_feed_promotion": """CREATE TRIGGER tr_home_feed_promotion AFTER UPDATE OF followers ON user_stats WHEN NEW.followers > 250 AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) BEGIN
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM post p WHERE p.user_id = NEW.user_id;
DELETE FROM home_feed WHERE post_id IN (
  SELECT p.id FROM post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= COALESCE((SELECT p."timestamp" FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399), '0001-01-01 00:00:00+00:00')) AND user_id <> NEW.user_id;
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.user_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id);
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
DELETE FROM home_feed WHERE post_id IN (
  SELECT p.id FROM (SELECT 1 AS go WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= COALESCE((SELECT p."timestamp" FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399), '0001-01-01 00:00:00+00:00')) AND user_id <> NEW.user_id;
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT f.follower_id FROM (SELECT 1 AS go WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
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
POSTGRESQL_FUNCTIONS = {
    "home_feed_on_post": """CREATE OR REPLACE FUNCTION home_feed_on_post() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM user_stats WHERE user_id IN (NEW.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
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
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
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
    "home_feed_on_follow": """CREATE OR REPLACE FUNCTION home_feed_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM user_stats WHERE user_id IN (NEW.follower_id, NEW.followed_id) ORDER BY user_id FOR NO KEY UPDATE;
    IF (SELECT s.followers FROM user_stats s WHERE s.user_id = NEW.followed_id) + 1 > 250 AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.followed_id) THEN
      PERFORM 1 FROM home_feed_horizon
      WHERE user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.followed_id)
      ORDER BY user_id FOR UPDATE;
    END IF;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.followed_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.followed_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.followed_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id = NEW.follower_id AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, p."timestamp", p.id, p.user_id
FROM home_feed_horizon h JOIN post p ON p.user_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.followed_id)
  AND (h."timestamp" IS NULL OR p."timestamp" > h."timestamp"
       OR (p."timestamp" = h."timestamp" AND p.id >= h.post_id))
ORDER BY p."timestamp" DESC, p.id DESC LIMIT 400;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT NEW.follower_id)
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT NEW.follower_id) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
  ELSE
    DELETE FROM home_feed WHERE user_id = OLD.follower_id AND author_id = OLD.followed_id;
  END IF;
  RETURN NULL;
END $$""",
    "home_feed_on_followers": """CREATE OR REPLACE FUNCTION home_feed_on_followers() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $$
BEGIN
  IF NEW.followers > 250 AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) THEN
    PERFORM 1 FROM home_feed_horizon WHERE user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.user_id) ORDER BY user_id FOR UPDATE;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM post p WHERE p.user_id = NEW.user_id;
    DELETE FROM home_feed WHERE post_id = ANY (ARRAY(
  SELECT p.id FROM post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= COALESCE((SELECT p."timestamp" FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399), '0001-01-01 00:00:00+00:00'))) AND user_id <> NEW.user_id;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.user_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
    INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id);
  END IF;
  RETURN NULL;
END $$""",
}
POSTGRESQL_FUNCTIONS_BEFORE = {
    "home_feed_on_post": """CREATE OR REPLACE FUNCTION home_feed_on_post() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM user_stats WHERE user_id IN (NEW.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_merged m
  WHERE m."timestamp" = NEW."timestamp" AND m.post_id = NEW.id);
    IF EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) THEN
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id
FROM post p WHERE p.user_id = NEW.user_id;
    DELETE FROM home_feed WHERE post_id = ANY (ARRAY(
  SELECT p.id FROM post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= COALESCE((SELECT p."timestamp" FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399), '0001-01-01 00:00:00+00:00'))) AND user_id <> NEW.user_id;
    PERFORM 1 FROM home_feed_horizon WHERE user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.user_id) ORDER BY user_id FOR UPDATE;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.user_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
    INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id);
    END IF;
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
    "home_feed_on_follow": """CREATE OR REPLACE FUNCTION home_feed_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM user_stats WHERE user_id IN (NEW.follower_id, NEW.followed_id) ORDER BY user_id FOR NO KEY UPDATE;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.followed_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.followed_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.followed_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id = NEW.follower_id AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, p."timestamp", p.id, p.user_id
FROM home_feed_horizon h JOIN post p ON p.user_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.followed_id)
  AND (h."timestamp" IS NULL OR p."timestamp" > h."timestamp"
       OR (p."timestamp" = h."timestamp" AND p.id >= h.post_id))
ORDER BY p."timestamp" DESC, p.id DESC LIMIT 400;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT NEW.follower_id)
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT NEW.follower_id) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
  ELSE
    DELETE FROM home_feed WHERE user_id = OLD.follower_id AND author_id = OLD.followed_id;
  END IF;
  RETURN NULL;
END $$""",
}

PROMOTION_TRIGGER = (
    "CREATE TRIGGER tr_home_feed_promotion AFTER UPDATE OF followers ON user_stats "
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_followers()"
)
# Accounts past the limit that no post has merged yet: the new trigger merges each.
PAST_THE_LIMIT = """
UPDATE user_stats SET followers = followers
WHERE followers > 250 AND user_id NOT IN (SELECT user_id FROM home_feed_author)"""


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name, sql in SQLITE_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(sql)
    else:
        for sql in POSTGRESQL_FUNCTIONS.values():
            op.execute(sql)
        op.execute(PROMOTION_TRIGGER)
    op.execute(PAST_THE_LIMIT)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER tr_home_feed_promotion")
        for name, sql in SQLITE_TRIGGERS_BEFORE.items():
            op.execute(f"DROP TRIGGER {name}")
            op.execute(sql)
    else:
        op.execute("DROP TRIGGER tr_home_feed_promotion ON user_stats")
        op.execute("DROP FUNCTION home_feed_on_followers()")
        for sql in POSTGRESQL_FUNCTIONS_BEFORE.values():
            op.execute(sql)
