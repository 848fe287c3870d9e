"""every merged account's post in one table, newest first, for home pages

A home page found the posts of the merged accounts its reader follows (those with more
followers than the fan-out limit, whose posts go into no feed) by one index seek per account
that posted since the page's bound: 816 seeks for the 2,000-follow reader's page 41 at XL
(docs/performance.md, "XL home: the merged accounts' posts in one walk"). The upgrade adds
home_feed_merged (timestamp, post_id, author_id, in_reply_to_user_id: every post by an account of
home_feed_author, in page order), fills it from the posts, and replaces the triggers of a
post's insertion, move and deletion with ones that keep it (see app/models/feed.py, whose SQL
this file copies with the default settings: a test holds the two equal). A page walks it and
keeps the rows of accounts its reader follows. The downgrade puts the triggers back as they
were and drops the table.

Revision ID: f2b7c4d9e1a3
Revises: 7c2e9a4d1b58
Create Date: 2026-12-04 18:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "f2b7c4d9e1a3"
down_revision = "7c2e9a4d1b58"
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
    "tr_home_feed_post_delete": """CREATE TRIGGER tr_home_feed_post_delete AFTER DELETE ON post BEGIN
DELETE FROM home_feed WHERE post_id = OLD.id;
DELETE FROM home_feed_merged WHERE "timestamp" = OLD."timestamp" AND post_id = OLD.id;
UPDATE home_feed_author SET "timestamp" = (
  SELECT p."timestamp" FROM post p WHERE p.user_id = OLD.user_id
  ORDER BY p."timestamp" DESC, p.id DESC LIMIT 1)
WHERE user_id = OLD.user_id AND "timestamp" <= OLD."timestamp";
END""",
}
SQLITE_TRIGGERS_BEFORE = {
    "tr_home_feed_post_insert": """CREATE TRIGGER tr_home_feed_post_insert AFTER INSERT ON post BEGIN
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
POSTGRESQL_FUNCTIONS = {
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
POSTGRESQL_FUNCTIONS_BEFORE = {
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
MERGED_POSTS = """
INSERT INTO home_feed_merged ("timestamp", post_id, author_id, in_reply_to_user_id)
SELECT p."timestamp", p.id, p.user_id, p.in_reply_to_user_id FROM post p
WHERE p.user_id IN (SELECT user_id FROM home_feed_author)
ORDER BY p."timestamp", p.id"""


def _put(sqlite_triggers: dict[str, str], postgresql_functions: dict[str, str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, sql in sqlite_triggers.items():
            op.execute(f"DROP TRIGGER {name}")
            op.execute(sql)
    else:
        for sql in postgresql_functions.values():
            op.execute(sql)


def upgrade():
    op.create_table(
        "home_feed_merged",
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("in_reply_to_user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("timestamp", "post_id", name=op.f("pk_home_feed_merged")),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # No post made meanwhile is missed by the copy (the new triggers apply once committed).
        op.execute("LOCK TABLE post, home_feed_author IN SHARE MODE")
    _put(SQLITE_TRIGGERS, POSTGRESQL_FUNCTIONS)
    op.execute(MERGED_POSTS)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE home_feed_merged")


def downgrade():
    _put(SQLITE_TRIGGERS_BEFORE, POSTGRESQL_FUNCTIONS_BEFORE)
    op.drop_table("home_feed_merged")
