"""home feeds

Each reader's newest home-timeline entries, written by database triggers when a post or a
follow is made (see app/models/feed.py, whose SQL this file copies with the default settings,
400 posts per feed and accounts over 250 followers read at page time: a test holds the two
equal). The upgrade builds every feed in bulk, from the 50,000 newest posts (all of a reader's
timeline where it is short); the downgrade drops the tables, the triggers and (PostgreSQL)
their functions. Only new tables: no table with the stored counts' triggers is rebuilt.

Revision ID: a3c9e51f7d20
Revises: 0583fe2d4f6e
Create Date: 2026-12-03 21:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "a3c9e51f7d20"
down_revision = "0583fe2d4f6e"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "tr_home_feed_post_insert": """CREATE TRIGGER tr_home_feed_post_insert AFTER INSERT ON post BEGIN
INSERT INTO home_feed_author (user_id, "timestamp")
SELECT NEW.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = NEW.user_id)
WHERE EXISTS (SELECT 1 FROM user_stats s
    WHERE s.user_id = NEW.user_id AND s.followers > 250) AND NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id);
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND NOT ("timestamp" >= NEW."timestamp");
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
UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND NOT ("timestamp" >= NEW."timestamp");
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT fans.follower_id, NEW."timestamp", NEW.id, NEW.user_id
FROM (SELECT f.follower_id FROM (SELECT 1 AS go WHERE NOT EXISTS (SELECT 1 FROM home_feed_author a WHERE a.user_id = NEW.user_id)) gate CROSS JOIN followers f WHERE f.followed_id = NEW.user_id) fans
UNION ALL
SELECT NEW.user_id, NEW."timestamp", NEW.id, NEW.user_id;
END""",
    "tr_home_feed_post_delete": """CREATE TRIGGER tr_home_feed_post_delete AFTER DELETE ON post BEGIN
DELETE FROM home_feed WHERE post_id = OLD.id;
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
    "tr_home_feed_follow_delete": """CREATE TRIGGER tr_home_feed_follow_delete AFTER DELETE ON followers BEGIN
DELETE FROM home_feed WHERE user_id = OLD.follower_id AND author_id = OLD.followed_id;
END""",
    "tr_home_feed_user_insert": """CREATE TRIGGER tr_home_feed_user_insert AFTER INSERT ON "user" BEGIN
INSERT INTO home_feed_horizon (user_id, "timestamp", post_id) VALUES (NEW.id, NULL, NULL);
END""",
    "tr_home_feed_user_delete": """CREATE TRIGGER tr_home_feed_user_delete AFTER DELETE ON "user" BEGIN
DELETE FROM home_feed WHERE user_id = OLD.id;
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
    UPDATE home_feed_author SET "timestamp" = NEW."timestamp"
WHERE user_id = NEW.user_id AND NOT ("timestamp" >= NEW."timestamp");
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
WHERE user_id = NEW.user_id AND NOT ("timestamp" >= NEW."timestamp");
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
    "home_feed_on_follow": """CREATE OR REPLACE FUNCTION home_feed_on_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
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
    "home_feed_on_user": """CREATE OR REPLACE FUNCTION home_feed_on_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO home_feed_horizon (user_id, "timestamp", post_id) VALUES (NEW.id, NULL, NULL);
  ELSE
    DELETE FROM home_feed WHERE user_id = OLD.id;
  END IF;
  RETURN NULL;
END $$""",
}

POSTGRESQL_TRIGGERS = {
    "tr_home_feed_post": """AFTER INSERT OR UPDATE OF "timestamp", user_id OR DELETE ON post FOR EACH ROW EXECUTE FUNCTION home_feed_on_post()""",
    "tr_home_feed_follow": """AFTER INSERT OR DELETE ON followers FOR EACH ROW EXECUTE FUNCTION home_feed_on_follow()""",
    "tr_home_feed_user": """AFTER INSERT OR DELETE ON "user" FOR EACH ROW EXECUTE FUNCTION home_feed_on_user()""",
}
_TRIGGER_TABLES = {
    "tr_home_feed_post": "post",
    "tr_home_feed_follow": "followers",
    "tr_home_feed_user": '"user"',
}

REBUILD = [
    """
INSERT INTO home_feed_author (user_id, "timestamp")
SELECT s.user_id, (SELECT max(p."timestamp") FROM post p WHERE p.user_id = s.user_id)
FROM user_stats s WHERE s.followers > 250""",
    """
INSERT INTO home_feed_horizon (user_id, "timestamp", post_id)
SELECT u.id, (SELECT "timestamp" FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET 49999), (SELECT id FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET 49999) FROM "user" u""",
    """
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT reader, at, post_id, author_id FROM (
  SELECT reader, at, post_id, author_id,
    row_number() OVER (PARTITION BY reader ORDER BY at DESC, post_id DESC) AS n
  FROM (
    SELECT f.follower_id AS reader, p."timestamp" AS at, p.id AS post_id,
      p.user_id AS author_id
    FROM (SELECT COALESCE((SELECT "timestamp" FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET 49999), (SELECT "timestamp" FROM post ORDER BY "timestamp", id LIMIT 1)) AS at, COALESCE((SELECT id FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET 49999), (SELECT id FROM post ORDER BY "timestamp", id LIMIT 1)) AS id) w
    JOIN post p ON p."timestamp" >= w.at AND (p."timestamp" > w.at OR p.id >= w.id)
    JOIN followers f ON f.followed_id = p.user_id
    WHERE p.user_id NOT IN (SELECT user_id FROM home_feed_author)
    UNION ALL
    SELECT p.user_id, p."timestamp", p.id, p.user_id FROM (SELECT COALESCE((SELECT "timestamp" FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET 49999), (SELECT "timestamp" FROM post ORDER BY "timestamp", id LIMIT 1)) AS at, COALESCE((SELECT id FROM post ORDER BY "timestamp" DESC, id DESC LIMIT 1 OFFSET 49999), (SELECT id FROM post ORDER BY "timestamp", id LIMIT 1)) AS id) w
    JOIN post p ON p."timestamp" >= w.at AND (p."timestamp" > w.at OR p.id >= w.id)) candidates
) ranked
WHERE n <= 400
ORDER BY reader, at, post_id""",
    """DELETE FROM home_feed WHERE user_id IN (SELECT s.user_id FROM user_stats s
WHERE s.posts + (
  SELECT COALESCE(sum(t.posts), 0) FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.follower_id = s.user_id
    AND f.followed_id NOT IN (SELECT user_id FROM home_feed_author)) <= 4000)""",
    """
INSERT INTO home_feed (user_id, "timestamp", post_id, author_id)
SELECT reader, at, post_id, author_id FROM (
  SELECT reader, at, post_id, author_id,
    row_number() OVER (PARTITION BY reader ORDER BY at DESC, post_id DESC) AS n
  FROM (
    SELECT f.follower_id AS reader, p."timestamp" AS at, p.id AS post_id,
      p.user_id AS author_id
    FROM followers f JOIN post p ON p.user_id = f.followed_id
    WHERE f.follower_id IN (SELECT s.user_id FROM user_stats s
WHERE s.posts + (
  SELECT COALESCE(sum(t.posts), 0) FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.follower_id = s.user_id
    AND f.followed_id NOT IN (SELECT user_id FROM home_feed_author)) <= 4000) AND p.user_id NOT IN (SELECT user_id FROM home_feed_author)
    UNION ALL
    SELECT p.user_id, p."timestamp", p.id, p.user_id FROM post p
    WHERE p.user_id IN (SELECT s.user_id FROM user_stats s
WHERE s.posts + (
  SELECT COALESCE(sum(t.posts), 0) FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.follower_id = s.user_id
    AND f.followed_id NOT IN (SELECT user_id FROM home_feed_author)) <= 4000)) candidates
) ranked
WHERE n <= 400
ORDER BY reader, at, post_id""",
    """
UPDATE home_feed_horizon SET "timestamp" = NULL, post_id = NULL
WHERE user_id IN (SELECT s.user_id FROM user_stats s
WHERE s.posts + (
  SELECT COALESCE(sum(t.posts), 0) FROM followers f JOIN user_stats t ON t.user_id = f.followed_id
  WHERE f.follower_id = s.user_id
    AND f.followed_id NOT IN (SELECT user_id FROM home_feed_author)) <= 4000)""",
    """
UPDATE home_feed_horizon SET ("timestamp", post_id) = (
  SELECT e."timestamp", e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id
  ORDER BY e."timestamp", e.post_id LIMIT 1)
WHERE (SELECT e.post_id FROM home_feed e WHERE e.user_id = home_feed_horizon.user_id
       ORDER BY e."timestamp" DESC, e.post_id DESC LIMIT 1 OFFSET 399) IS NOT NULL""",
]


def upgrade():
    op.create_table(
        "home_feed",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "timestamp", "post_id", name=op.f("pk_home_feed")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_home_feed_post_id"), "home_feed", ["post_id"], unique=False)
    op.create_table(
        "home_feed_horizon",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_home_feed_horizon_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_home_feed_horizon")),
    )
    op.create_table(
        "home_feed_author",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_home_feed_author_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_home_feed_author")),
    )
    op.create_index(
        op.f("ix_home_feed_author_timestamp"), "home_feed_author", ["timestamp"], unique=False
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Nothing may post or follow between the build and the triggers.
        op.execute('LOCK TABLE "user", followers, post, user_stats IN SHARE MODE')
    for sql in REBUILD:
        op.execute(sql)
    if bind.dialect.name == "sqlite":
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
    else:
        for sql in POSTGRESQL_FUNCTIONS.values():
            op.execute(sql)
        for name, sql in POSTGRESQL_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {sql}")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, table in _TRIGGER_TABLES.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_index(op.f("ix_home_feed_author_timestamp"), table_name="home_feed_author")
    op.drop_table("home_feed_author")
    op.drop_table("home_feed_horizon")
    op.drop_index(op.f("ix_home_feed_post_id"), table_name="home_feed")
    op.drop_table("home_feed")
