"""home feeds: a merged account's replies to smaller accounts are fanned out

A merged account (over the fan-out limit of followers) had every post read at page time, so
each follower's page walked past its replies to accounts the follower does not follow, a
probe of the follows' key each: 2,000 such replies took the 100-follow reader's page at L
from 1.1 to 3.9 ms on PostgreSQL (docs/performance.md, "Replies walked past"). Now such a
reply to an account that is not merged is written into the feeds of the readers shown it
(that account and its followers who follow the author: at most the limit's number of probes)
and listed in a new table, home_feed_reply, by the account answered (a follow of either
account copies those its new follower is shown); home_feed_merged keeps what pages read at
page time, by author (a new index), with a copy of each post's hidden_at (kept by a new
trigger on post). On SQLite the replies fanned out have an insert trigger of their own, whose
WHEN leaves every other post out. See app/models/feed.py, whose SQL this file copies with the default
settings (a test holds the two equal).

The upgrade splits home_feed_merged into the two tables and empties every feed: each is
built again on its reader's next home visit (app.models.feed.build_home_feed, as after
``flask fake``), with the replies it is shown; until then pages read the posts. The
downgrade puts the replies back into home_feed_merged, the triggers back as they were, and
empties the feeds again (they hold rows of merged authors the old pages would count twice).

Revision ID: b9e4d2f7a1c6
Revises: f1b9c3e7a5d2
Create Date: 2026-12-06 17:00:00.000000

"""

# The SQL is put together from constants of this file (never input).
# ruff: noqa: S608

import sqlalchemy as sa
from alembic import op

revision = "b9e4d2f7a1c6"
down_revision = "f1b9c3e7a5d2"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "tr_home_feed_post_insert": """CREATE TRIGGER tr_home_feed_post_insert AFTER INSERT ON post BEGIN
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id, NEW.hidden_at
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND (NEW.in_reply_to_user_id IS NULL OR NEW.in_reply_to_user_id = NEW.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id));
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
    "tr_home_feed_reply_insert": """CREATE TRIGGER tr_home_feed_reply_insert AFTER INSERT ON post WHEN NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id) BEGIN
INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT NEW.in_reply_to_user_id, NEW."timestamp", NEW.id, NEW.user_id WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id);
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT readers.reader, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = readers.reader) IS NOT NULL;
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT reader FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers WHERE ((reader + NEW.id) / 200) * 200 = (reader + NEW.id))
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT reader FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers WHERE ((reader + NEW.id) / 200) * 200 = (reader + NEW.id)) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
END""",
    "tr_home_feed_post_update": """CREATE TRIGGER tr_home_feed_post_update AFTER UPDATE OF "timestamp", user_id ON post BEGIN
DELETE FROM home_feed WHERE post_id = NEW.id;
DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
DELETE FROM home_feed_reply WHERE answered_id = OLD.in_reply_to_user_id AND "timestamp" = OLD."timestamp" AND post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND ("timestamp" IS NULL OR "timestamp" < NEW."timestamp");
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id, NEW.hidden_at
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND (NEW.in_reply_to_user_id IS NULL OR NEW.in_reply_to_user_id = NEW.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id));
INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT NEW.in_reply_to_user_id, NEW."timestamp", NEW.id, NEW.user_id WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id);
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT readers.reader, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = readers.reader) IS NOT NULL;
END""",
    "tr_home_feed_post_delete": """CREATE TRIGGER tr_home_feed_post_delete AFTER DELETE ON post BEGIN
DELETE FROM home_feed WHERE post_id = OLD.id;
DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
DELETE FROM home_feed_reply WHERE answered_id = OLD.in_reply_to_user_id AND "timestamp" = OLD."timestamp" AND post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
END""",
    "tr_home_feed_post_hide": """CREATE TRIGGER tr_home_feed_post_hide AFTER UPDATE OF hidden_at ON post BEGIN
UPDATE home_feed_merged SET hidden_at = NEW.hidden_at WHERE "timestamp" = NEW."timestamp" AND post_id = NEW.id;
END""",
    "tr_home_feed_follow_insert": """CREATE TRIGGER tr_home_feed_follow_insert AFTER INSERT ON followers BEGIN
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.followed_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.followed_id)
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT p."timestamp", p.id FROM post p WHERE p.user_id = NEW.followed_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399));
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.answered_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.answered_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399));
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.author_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.author_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399));
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
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, r."timestamp", r.post_id, r.author_id
FROM home_feed_horizon h JOIN home_feed_reply r ON r.answered_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND r.author_id <> NEW.follower_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = NEW.follower_id AND m.followed_id = r.author_id) IS NOT NULL
  AND (h."timestamp" IS NULL OR r."timestamp" > h."timestamp"
       OR (r."timestamp" = h."timestamp" AND r.post_id >= h.post_id))
  AND NOT EXISTS (SELECT 1 FROM home_feed e
    WHERE e.user_id = h.user_id AND e."timestamp" = r."timestamp" AND e.post_id = r.post_id);
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, r."timestamp", r.post_id, r.author_id
FROM home_feed_horizon h JOIN home_feed_reply r ON r.author_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND (r.answered_id = NEW.follower_id OR (SELECT m.follower_id FROM followers m WHERE m.follower_id = NEW.follower_id AND m.followed_id = r.answered_id) IS NOT NULL)
  AND (h."timestamp" IS NULL OR r."timestamp" > h."timestamp"
       OR (r."timestamp" = h."timestamp" AND r.post_id >= h.post_id))
  AND NOT EXISTS (SELECT 1 FROM home_feed e
    WHERE e.user_id = h.user_id AND e."timestamp" = r."timestamp" AND e.post_id = r.post_id);
UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT NEW.follower_id)
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT NEW.follower_id) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
END""",
    "tr_home_feed_promotion": """CREATE TRIGGER tr_home_feed_promotion AFTER UPDATE OF followers ON user_stats WHEN NEW.followers > 250 AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) BEGIN
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id, p.hidden_at
FROM post p WHERE p.user_id = NEW.user_id AND (p.in_reply_to_user_id IS NULL OR p.in_reply_to_user_id = p.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = p.in_reply_to_user_id));
INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT p.in_reply_to_user_id, p."timestamp", p.id, p.user_id
FROM post p WHERE p.user_id = NEW.user_id AND NOT (p.in_reply_to_user_id IS NULL OR p.in_reply_to_user_id = p.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = p.in_reply_to_user_id));
DELETE FROM home_feed WHERE post_id IN (
  SELECT p.id FROM post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= COALESCE((SELECT p."timestamp" FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399), '0001-01-01 00:00:00+00:00')
    AND (p.in_reply_to_user_id IS NULL OR p.in_reply_to_user_id = p.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = p.in_reply_to_user_id))) AND user_id <> NEW.user_id;
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
    "tr_home_feed_post_delete": """CREATE TRIGGER tr_home_feed_post_delete AFTER DELETE ON post BEGIN
DELETE FROM home_feed WHERE post_id = OLD.id;
DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
END""",
    "tr_home_feed_follow_insert": """CREATE TRIGGER tr_home_feed_follow_insert AFTER INSERT ON followers BEGIN
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
POSTGRESQL_FUNCTIONS = {
    "home_feed_on_post": """CREATE OR REPLACE FUNCTION home_feed_on_post() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id) THEN
      PERFORM 1 FROM user_stats WHERE user_id IN (NEW.user_id, NEW.in_reply_to_user_id) ORDER BY user_id FOR NO KEY UPDATE;
    ELSE
      PERFORM 1 FROM user_stats WHERE user_id IN (NEW.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    END IF;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id, NEW.hidden_at
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND (NEW.in_reply_to_user_id IS NULL OR NEW.in_reply_to_user_id = NEW.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id));
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
    IF NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id) THEN
    INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT NEW.in_reply_to_user_id, NEW."timestamp", NEW.id, NEW.user_id WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id);
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT readers.reader, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = readers.reader) IS NOT NULL;
    PERFORM 1 FROM home_feed_horizon WHERE user_id IN (SELECT reader FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers WHERE ((reader + NEW.id) / 200) * 200 = (reader + NEW.id)) ORDER BY user_id FOR UPDATE;
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id IN (SELECT reader FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers WHERE ((reader + NEW.id) / 200) * 200 = (reader + NEW.id))
  AND (COALESCE(home_feed_horizon."timestamp", '0001-01-01 00:00:00+00:00'),
       COALESCE(home_feed_horizon.post_id, 0)) < (SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399);
    DELETE FROM home_feed WHERE (user_id, "timestamp", post_id) IN (
  SELECT e.user_id, e."timestamp", e.post_id FROM home_feed_horizon h
  JOIN home_feed e ON e.user_id = h.user_id AND e."timestamp" <= h."timestamp"
  WHERE h.user_id IN (SELECT reader FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers WHERE ((reader + NEW.id) / 200) * 200 = (reader + NEW.id)) AND (e."timestamp" < h."timestamp" OR e.post_id < h.post_id));
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id) THEN
      PERFORM 1 FROM user_stats WHERE user_id IN (OLD.user_id, NEW.user_id, NEW.in_reply_to_user_id) ORDER BY user_id FOR NO KEY UPDATE;
    ELSE
      PERFORM 1 FROM user_stats WHERE user_id IN (OLD.user_id, NEW.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    END IF;
    DELETE FROM home_feed WHERE post_id = NEW.id;
    DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    DELETE FROM home_feed_reply WHERE answered_id = OLD.in_reply_to_user_id AND "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
    UPDATE home_feed_author SET "timestamp" = CASE
  WHEN "timestamp" IS NULL OR "timestamp" < NEW."timestamp" THEN NEW."timestamp"
  ELSE "timestamp" END
WHERE user_id = NEW.user_id;
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT NEW."timestamp", NEW.id, NEW.user_id, NEW.in_reply_to_user_id, NEW.hidden_at
WHERE EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND (NEW.in_reply_to_user_id IS NULL OR NEW.in_reply_to_user_id = NEW.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id));
    INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT NEW.in_reply_to_user_id, NEW."timestamp", NEW.id, NEW.user_id WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id);
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = fans.follower_id) IS NOT NULL
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = NEW.user_id) IS NOT NULL;
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT readers.reader, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT r.reader FROM (SELECT 1 AS go WHERE NEW.in_reply_to_user_id IS NOT NULL AND NEW.in_reply_to_user_id <> NEW.user_id AND EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.in_reply_to_user_id)) gate
CROSS JOIN (
  SELECT NEW.in_reply_to_user_id AS reader
  UNION SELECT f.follower_id FROM followers f WHERE f.followed_id = NEW.in_reply_to_user_id) r
WHERE r.reader <> NEW.user_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = r.reader AND m.followed_id = NEW.user_id) IS NOT NULL) readers
WHERE (SELECT h.user_id FROM home_feed_horizon h WHERE h.user_id = readers.reader) IS NOT NULL;
  ELSE
    PERFORM 1 FROM user_stats WHERE user_id IN (OLD.user_id) ORDER BY user_id FOR NO KEY UPDATE;
    DELETE FROM home_feed WHERE post_id = OLD.id;
    DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    DELETE FROM home_feed_reply WHERE answered_id = OLD.in_reply_to_user_id AND "timestamp" = OLD."timestamp" AND post_id = OLD.id;
    PERFORM 1 FROM home_feed_author WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp" FOR UPDATE;
    UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
  END IF;
  RETURN NULL;
END $$""",
    "home_feed_on_hide": """CREATE OR REPLACE FUNCTION home_feed_on_hide() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE home_feed_merged SET hidden_at = NEW.hidden_at WHERE "timestamp" = NEW."timestamp" AND post_id = NEW.id;
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
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.answered_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.answered_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399));
    UPDATE home_feed_horizon SET ("timestamp", post_id) = (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.author_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399)
WHERE home_feed_horizon.user_id = NEW.follower_id
  AND (home_feed_horizon."timestamp" IS NULL
       OR (home_feed_horizon."timestamp", home_feed_horizon.post_id) < (SELECT r."timestamp", r.post_id FROM home_feed_reply r WHERE r.author_id = NEW.followed_id ORDER BY r."timestamp" DESC, r.post_id DESC LIMIT 1 OFFSET 399));
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
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, r."timestamp", r.post_id, r.author_id
FROM home_feed_horizon h JOIN home_feed_reply r ON r.answered_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND r.author_id <> NEW.follower_id AND (SELECT m.follower_id FROM followers m WHERE m.follower_id = NEW.follower_id AND m.followed_id = r.author_id) IS NOT NULL
  AND (h."timestamp" IS NULL OR r."timestamp" > h."timestamp"
       OR (r."timestamp" = h."timestamp" AND r.post_id >= h.post_id))
  AND NOT EXISTS (SELECT 1 FROM home_feed e
    WHERE e.user_id = h.user_id AND e."timestamp" = r."timestamp" AND e.post_id = r.post_id);
    INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT h.user_id, r."timestamp", r.post_id, r.author_id
FROM home_feed_horizon h JOIN home_feed_reply r ON r.author_id = NEW.followed_id
WHERE h.user_id = NEW.follower_id AND (r.answered_id = NEW.follower_id OR (SELECT m.follower_id FROM followers m WHERE m.follower_id = NEW.follower_id AND m.followed_id = r.answered_id) IS NOT NULL)
  AND (h."timestamp" IS NULL OR r."timestamp" > h."timestamp"
       OR (r."timestamp" = h."timestamp" AND r.post_id >= h.post_id))
  AND NOT EXISTS (SELECT 1 FROM home_feed e
    WHERE e.user_id = h.user_id AND e."timestamp" = r."timestamp" AND e.post_id = r.post_id);
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
    INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id, hidden_at)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id, p.hidden_at
FROM post p WHERE p.user_id = NEW.user_id AND (p.in_reply_to_user_id IS NULL OR p.in_reply_to_user_id = p.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = p.in_reply_to_user_id));
    INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id)
SELECT p.in_reply_to_user_id, p."timestamp", p.id, p.user_id
FROM post p WHERE p.user_id = NEW.user_id AND NOT (p.in_reply_to_user_id IS NULL OR p.in_reply_to_user_id = p.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = p.in_reply_to_user_id));
    DELETE FROM home_feed WHERE post_id = ANY (ARRAY(
  SELECT p.id FROM post p WHERE p.user_id = NEW.user_id AND p."timestamp" >= COALESCE((SELECT p."timestamp" FROM post p WHERE p.user_id = NEW.user_id ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1 OFFSET 399), '0001-01-01 00:00:00+00:00')
    AND (p.in_reply_to_user_id IS NULL OR p.in_reply_to_user_id = p.user_id OR EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = p.in_reply_to_user_id)))) AND user_id <> NEW.user_id;
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

POSTGRESQL_HIDE_TRIGGER = (
    "CREATE TRIGGER tr_home_feed_post_hide AFTER UPDATE OF hidden_at ON post "
    "FOR EACH ROW EXECUTE FUNCTION home_feed_on_hide()"
)
# A merged author's post that pages read at page time: it answers nobody, its author or a
# merged account (the rows of home_feed_merged, aliased m). The others move out.
READ_AT_PAGE_TIME = (
    "(home_feed_merged.in_reply_to_user_id IS NULL "
    "OR home_feed_merged.in_reply_to_user_id = home_feed_merged.author_id "
    "OR EXISTS (SELECT 1 FROM home_feed_author a "
    "WHERE a.user_id = home_feed_merged.in_reply_to_user_id))"
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _put(sqlite_triggers: dict[str, str], postgresql_functions: dict[str, str]) -> None:
    if _postgresql():
        for sql in postgresql_functions.values():
            op.execute(sql)
    else:
        for name, sql in sqlite_triggers.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(sql)


def _empty_feeds() -> None:
    # Each built again on its reader's next home visit; pages read the posts until then.
    op.execute("DELETE FROM home_feed")
    op.execute("DELETE FROM home_feed_horizon")


def upgrade():
    if _postgresql():
        # No post, follow or promotion meanwhile (the new triggers apply once committed).
        op.execute('LOCK TABLE post, followers, user_stats, "user" IN SHARE MODE')
    op.add_column("home_feed_merged", sa.Column("hidden_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_home_feed_merged_author_id",
        "home_feed_merged",
        ["author_id", "timestamp", "post_id", "hidden_at", "in_reply_to_user_id"],
    )
    op.create_table(
        "home_feed_reply",
        sa.Column("answered_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "answered_id", "timestamp", "post_id", name=op.f("pk_home_feed_reply")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_home_feed_reply_author_id",
        "home_feed_reply",
        ["author_id", "timestamp", "post_id", "answered_id"],
    )
    op.execute(
        "UPDATE home_feed_merged SET hidden_at = "
        "(SELECT p.hidden_at FROM post p WHERE p.id = home_feed_merged.post_id)"
    )
    op.execute(
        'INSERT INTO home_feed_reply (answered_id, "timestamp", post_id, author_id) '
        'SELECT in_reply_to_user_id, "timestamp", post_id, author_id FROM home_feed_merged '
        f"WHERE NOT {READ_AT_PAGE_TIME}"
    )
    op.execute(f"DELETE FROM home_feed_merged WHERE NOT {READ_AT_PAGE_TIME}")
    _put(SQLITE_TRIGGERS, POSTGRESQL_FUNCTIONS)
    if _postgresql():
        op.execute(POSTGRESQL_HIDE_TRIGGER)
    _empty_feeds()
    if _postgresql():
        op.execute("ANALYZE home_feed_merged, home_feed_reply")


def downgrade():
    if _postgresql():
        op.execute('LOCK TABLE post, followers, user_stats, "user" IN SHARE MODE')
        op.execute("DROP TRIGGER IF EXISTS tr_home_feed_post_hide ON post")
        op.execute("DROP FUNCTION IF EXISTS home_feed_on_hide()")
    else:
        for name in set(SQLITE_TRIGGERS) - set(SQLITE_TRIGGERS_BEFORE):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _put(SQLITE_TRIGGERS_BEFORE, POSTGRESQL_FUNCTIONS_BEFORE)
    op.execute(
        'INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id) '
        'SELECT "timestamp", post_id, author_id, answered_id FROM home_feed_reply'
    )
    op.drop_index("ix_home_feed_reply_author_id", table_name="home_feed_reply")
    op.drop_table("home_feed_reply")
    op.drop_index("ix_home_feed_merged_author_id", table_name="home_feed_merged")
    # SQLite drops a column in place (3.35 and later), keeping the table WITHOUT ROWID.
    op.execute("ALTER TABLE home_feed_merged DROP COLUMN hidden_at")
    _empty_feeds()
