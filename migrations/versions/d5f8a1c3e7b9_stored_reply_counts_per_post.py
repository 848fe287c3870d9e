"""post_stats.replies: each post's count of the direct replies everyone may see, stored

Every card counted its post's visible replies (not hidden, by accounts not suspended) in the
index of replies on every view: the bench's 500-reply root at XL spent 0.6 ms of its thread
page's statement on it, and a post with 50,000 replies would cost each page that shows it
about 12 ms. The count is stored beside the likes, kept by database triggers on post (a
reply, its deletion, hiding and unhiding) and on the account (suspension, and a suspended
account's deletion, which deletes its replies first, while they are known to be uncounted);
see app/models/counts.py, whose SQL this file copies (a test holds the two equal). The
upgrade counts the existing replies; the downgrade drops the triggers, (PostgreSQL) their
functions and the column.

Revision ID: d5f8a1c3e7b9
Revises: c4e9a2d7f1b3
Create Date: 2026-12-05 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "d5f8a1c3e7b9"
down_revision = "c4e9a2d7f1b3"
branch_labels = None
depends_on = None

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


def upgrade():
    op.add_column(
        "post_stats", sa.Column("replies", sa.Integer(), server_default="0", nullable=False)
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in SQLITE_REPLY_TRIGGERS.values():
            op.execute(sql)
    else:
        # Nothing may reply, hide, delete or be suspended between the count and the triggers.
        op.execute('LOCK TABLE "user", post IN SHARE MODE')
        for sql in POSTGRESQL_REPLY_FUNCTIONS.values():
            op.execute(sql)
        for name, sql in POSTGRESQL_REPLY_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {sql}")
    op.execute(RECOUNT_REPLIES)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_REPLY_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, table in _REPLY_TRIGGER_TABLES.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in POSTGRESQL_REPLY_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    # Not a batch: SQLite would copy the table, and renaming the copy fails while the likes'
    # triggers name post_stats. SQLite drops a column in place (3.35 and later).
    op.drop_column("post_stats", "replies")
