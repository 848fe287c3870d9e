"""stored counts per account

user_stats holds each account's post, hidden-post, follower and following counts, kept by
database triggers (see app/models/counts.py, whose SQL this file copies: a test holds the two
equal), so that a profile does not count 78,000 followers on every view. The upgrade counts the
existing rows; the downgrade drops the table, the triggers and (PostgreSQL) their functions.

Revision ID: 0583fe2d4f6e
Revises: d7e3b5a91c42
Create Date: 2026-12-03 18:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0583fe2d4f6e"
down_revision = "d7e3b5a91c42"
branch_labels = None
depends_on = None

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


def upgrade():
    op.create_table(
        "user_stats",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("hidden_posts", sa.Integer(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("following", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_user_stats_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_stats")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
    else:
        # Nothing may follow or post between the count and the triggers.
        op.execute('LOCK TABLE "user", followers, post IN SHARE MODE')
        for sql in POSTGRESQL_FUNCTIONS.values():
            op.execute(sql)
        for name, sql in POSTGRESQL_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {sql}")
    op.execute(RECOUNT)


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
    op.drop_table("user_stats")
