"""Alembic migrations, on the test database's engine (SQLite or PostgreSQL).

They must build exactly the models' schema, undo cleanly, and keep every row when upgrading.
"""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from app.extensions import db

WHEN = datetime(2024, 5, 17, 12, 30, 15, 123456, tzinfo=UTC)


def scripts() -> ScriptDirectory:
    """The project's migration scripts."""
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def user_rows(count: int, suspended: int | None = None) -> list[dict]:
    """Rows of users 1 to ``count`` as every revision's ``user`` table takes them (the one
    numbered ``suspended`` suspended)."""
    return [
        {
            "id": n,
            "username": f"User{n}",
            "username_key": f"user{n}",
            "email": f"user{n}@example.com",
            "created_at": WHEN,
            "updated_at": WHEN,
            "last_seen": WHEN,
            "suspended_at": WHEN if n == suspended else None,
        }
        for n in range(1, count + 1)
    ]


def functions_present(names) -> set[str]:
    """Which of the PostgreSQL functions ``names`` the database has (none on SQLite)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            return set()
        query = sa.text("SELECT proname FROM pg_proc WHERE proname IN :names").bindparams(
            sa.bindparam("names", list(names), expanding=True)
        )
        return set(connection.execute(query).scalars())


def table_rows(connection, name: str) -> list[dict]:
    """Every row of a table, in primary-key order, as plain dicts."""
    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
    query = sa.select(table).order_by(*table.primary_key.columns)
    return [dict(row) for row in connection.execute(query).mappings()]


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(migration_app):
    runner = migration_app.test_cli_runner()
    upgrade()
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    downgrade(revision="base")
    assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
    upgrade()
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_every_migration_has_a_downgrade(migration_app):
    for script in scripts().walk_revisions():
        with open(script.path, encoding="utf-8") as file:
            source = file.read()
        body = source.split("def downgrade():", 1)[1]
        assert body.strip() not in ("", "pass"), f"{script.revision} cannot be undone"


def test_accounts_older_than_email_confirmation_count_as_confirmed(migration_app):
    """Adding ``email_confirmed_at`` must not stop existing users from posting."""
    revision = "5b7e2c9d4a1f"
    upgrade(revision=scripts().get_revision(revision).down_revision)
    with db.engine.begin() as connection:
        user = sa.Table("user", sa.MetaData(), autoload_with=connection)
        rows = [
            {
                "id": n,
                "username": f"u{n}",
                "username_key": f"u{n}",
                "email": f"u{n}@example.com",
                "password_hash": "x",
                "created_at": WHEN + timedelta(days=n),
                "updated_at": WHEN,
                "last_seen": WHEN,
            }
            for n in (1, 2)
        ]
        connection.execute(user.insert(), rows)
    upgrade(revision=revision)
    with db.engine.connect() as connection:
        confirmed = [
            (row["id"], row["email_confirmed_at"], row["created_at"])
            for row in table_rows(connection, "user")
        ]
    assert len(confirmed) == 2
    for _id, confirmed_at, created_at in confirmed:
        assert confirmed_at is not None
        assert confirmed_at == created_at
    downgrade(revision="-1")
    with db.engine.connect() as connection:
        assert len(table_rows(connection, "user")) == 2


def test_existing_follows_date_from_when_both_accounts_existed(migration_app):
    """Follows made before ``followers.created_at`` get the later account's creation time."""
    revision = "3f8a2d6c9b14"
    upgrade(revision=scripts().get_revision(revision).down_revision)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        connection.execute(
            sa.text('UPDATE "user" SET created_at = :when WHERE id = 3'),
            {"when": WHEN + timedelta(days=30)},
        )
    upgrade(revision=revision)
    with db.engine.connect() as connection:
        began = {
            (row["follower_id"], row["followed_id"]): row["created_at"]
            for row in table_rows(connection, "followers")
        }
        nullable = {
            column["name"]: column["nullable"]
            for column in sa.inspect(connection).get_columns("followers")
        }
    assert len(began) == 20
    for (follower, followed), when in began.items():
        joined_last = 30 if 3 in (follower, followed) else 0
        aware = when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite drops the zone
        assert aware == WHEN + timedelta(days=joined_last)
    assert nullable["created_at"] is False


def _fill_previous_revision(connection) -> None:
    """Users, posts and follows as the schema one revision before head stores them."""
    inspector = sa.inspect(connection)
    metadata = sa.MetaData()
    user = sa.Table("user", metadata, autoload_with=connection)
    post = sa.Table("post", metadata, autoload_with=connection)
    followers = sa.Table("followers", metadata, autoload_with=connection)
    assert inspector.has_table("user")
    users = [
        {
            "id": n,
            "username": f"User{n}",
            "username_key": f"user{n}",
            "email": f"user{n}@example.com",
            "password_hash": f"pbkdf2:sha256:1000$salt{n}$hash",
            "about_me": f"About <b>{n}</b> ✓" if n % 2 else None,
            "created_at": WHEN,
            "updated_at": WHEN + timedelta(days=n),
            "last_seen": WHEN + timedelta(minutes=n),
        }
        for n in range(1, 6)
    ]
    connection.execute(user.insert(), [_only_columns(user, row) for row in users])
    posts = [
        {
            "id": n,
            "body": f"post {n} — 'quotes' & <tags>",
            "timestamp": WHEN + timedelta(seconds=n),
            "user_id": n % 5 + 1,
        }
        for n in range(1, 21)
    ]
    connection.execute(post.insert(), [_only_columns(post, row) for row in posts])
    follows = [
        {"follower_id": a, "followed_id": b, "created_at": WHEN + timedelta(hours=a + b)}
        for a in range(1, 6)
        for b in range(1, 6)
        if a != b
    ]
    connection.execute(followers.insert(), [_only_columns(followers, row) for row in follows])


def _only_columns(table: sa.Table, row: dict) -> dict:
    return {key: value for key, value in row.items() if key in table.columns}


def _previous_revision() -> str:
    head = scripts().get_current_head()
    previous = scripts().get_revision(head).down_revision
    if previous is None:
        pytest.fail("only one migration: nothing to upgrade from")
    return previous


def _assert_rows_kept(before: dict[str, list[dict]]) -> None:
    """Every row in ``before`` is still there, with the same values in the columns both have.

    A downgrade legitimately drops the columns its migration added; every other value must stay.
    """
    with db.engine.connect() as connection:
        for name, rows in before.items():
            after = table_rows(connection, name)
            assert len(after) == len(rows), f"{name} lost rows"
            for old, new in zip(rows, after, strict=True):
                shared = old.keys() & new.keys()
                assert {key: new[key] for key in shared} == {key: old[key] for key in shared}, (
                    f"{name} row changed"
                )


def test_upgrade_to_head_keeps_every_row(migration_app):
    upgrade(revision=_previous_revision())
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    upgrade()
    _assert_rows_kept(before)


def test_downgrading_the_last_migration_and_upgrading_again_keeps_every_row(migration_app):
    # Undoing a release must not lose data either; on SQLite a downgrade that alters a table
    # copies it into a new one, which is where rows could go missing.
    previous = _previous_revision()
    upgrade(revision=previous)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
    upgrade()
    with db.engine.connect() as connection:
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    downgrade(revision=previous)
    _assert_rows_kept(before)
    upgrade()
    _assert_rows_kept(before)


ROLES_REVISION = "5c15ca187ab9"


def test_roles_are_seeded_and_moderation_data_survives_a_round_trip(migration_app):
    upgrade(revision=ROLES_REVISION)
    with db.engine.begin() as connection:
        names = connection.execute(sa.text("SELECT name FROM role ORDER BY name")).scalars().all()
        assert names == ["admin", "moderator"]
        _fill_previous_revision(connection)
        connection.execute(
            sa.text("UPDATE post SET hidden_at = :when, hidden_by_id = 1 WHERE id = 2"),
            {"when": WHEN},
        )
    # Going back drops only what this migration added: users, posts and follows stay.
    downgrade(revision=scripts().get_revision(ROLES_REVISION).down_revision)
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("role")
        posts = table_rows(connection, "post")
        assert len(posts) == 20
        assert "hidden_at" not in posts[0]
        assert len(table_rows(connection, "followers")) == 20


SESSIONS_REVISION = "5143d624fd24"


def test_login_sessions_arrive_empty_and_leave_every_account_behind(migration_app):
    upgrade(revision=scripts().get_revision(SESSIONS_REVISION).down_revision)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    upgrade(revision=SESSIONS_REVISION)
    with db.engine.begin() as connection:
        assert table_rows(connection, "user_session") == []  # old cookies name no session
        assert {row["last_login_at"] for row in table_rows(connection, "user")} == {None}
        session = sa.Table("user_session", sa.MetaData(), autoload_with=connection)
        connection.execute(
            session.insert(),
            {
                "id": "abc",
                "user_id": 2,
                "secret_hash": "0" * 64,
                "created_at": WHEN,
                "last_seen": WHEN,
                "expires_at": WHEN + timedelta(days=365),
                "remember": True,
                "renew": False,
                "ip_address": "2001:db8::1",
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
            },
        )
        connection.execute(
            sa.text('UPDATE "user" SET last_login_at = :when WHERE id = 2'), {"when": WHEN}
        )
        (row,) = table_rows(connection, "user_session")
        assert (row["remember"], row["renew"], row["ip_address"]) == (True, False, "2001:db8::1")
    # Deleting an account deletes its sessions, on either database.
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(sa.text("PRAGMA foreign_keys = ON"))
        connection.execute(sa.text("DELETE FROM followers WHERE 2 IN (follower_id, followed_id)"))
        connection.execute(sa.text("DELETE FROM post WHERE user_id = 2"))
        connection.execute(sa.text('DELETE FROM "user" WHERE id = 2'))
        assert table_rows(connection, "user_session") == []
        connection.execute(
            sa.text('UPDATE "user" SET last_login_at = :when WHERE id = 3'), {"when": WHEN}
        )
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    # What a downgrade keeps: everything but the last logins (upgrading again cannot bring
    # those back).
    for row in before["user"]:
        del row["last_login_at"]
    downgrade(revision=scripts().get_revision(SESSIONS_REVISION).down_revision)
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("user_session")
        assert "last_login_at" not in table_rows(connection, "user")[0]
    _assert_rows_kept(before)
    upgrade()
    _assert_rows_kept(before)


REPLIES_REVISION = "c4a9e2f7d318"


def test_replies_survive_a_round_trip_and_ids_are_never_reused(migration_app):
    """The replies migration rebuilds the post table on SQLite: reports on posts must survive
    it, a downgrade keeps replies as posts, and after it a deleted post's id stays unused."""
    upgrade(revision=scripts().get_revision(REPLIES_REVISION).down_revision)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        connection.execute(
            sa.text(
                "INSERT INTO report (post_id, reporter_id, reason, created_at) "
                "VALUES (3, 1, 'spam', :when)"
            ),
            {"when": WHEN},
        )
    upgrade(revision=REPLIES_REVISION)
    with db.engine.begin() as connection:
        posts = table_rows(connection, "post")
        assert len(posts) == 20
        assert {(p["in_reply_to_id"], p["thread_path"]) for p in posts} == {(None, None)}
        connection.execute(
            sa.text(
                "INSERT INTO post (id, body, timestamp, user_id, in_reply_to_id, "
                "in_reply_to_user_id, thread_path) VALUES (21, 'a reply', :when, 1, 20, 1, :path)"
            ),
            {"when": WHEN, "path": (20).to_bytes(4, "big") + (21).to_bytes(4, "big")},
        )
        assert len(table_rows(connection, "report")) == 1
        if connection.dialect.name == "postgresql":  # rows were added with their ids
            connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('post', 'id'), 21)"))
        # The newest post goes; the next one must not take its id (its replies would follow).
        connection.execute(sa.text("DELETE FROM post WHERE id = 21"))
        connection.execute(
            sa.text("INSERT INTO post (body, timestamp, user_id) VALUES ('new', :when, 2)"),
            {"when": WHEN},
        )
        assert connection.execute(sa.text("SELECT max(id) FROM post")).scalar() == 22
    downgrade(revision=scripts().get_revision(REPLIES_REVISION).down_revision)
    with db.engine.connect() as connection:
        posts = table_rows(connection, "post")
        assert [p["id"] for p in posts] == [*range(1, 21), 22]
        assert "thread_path" not in posts[0]
        assert len(table_rows(connection, "report")) == 1
    upgrade()
    runner = migration_app.test_cli_runner()
    assert runner.invoke(args=["db", "check"]).exit_code == 0


LIKES_REVISION = "8e1f5a3c7b20"


def test_likes_arrive_empty_hold_one_per_person_and_post_and_leave_the_rest(migration_app):
    upgrade(revision=scripts().get_revision(LIKES_REVISION).down_revision)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    upgrade(revision=LIKES_REVISION)
    _assert_rows_kept(before)
    insert = sa.text("INSERT INTO post_like (user_id, post_id, created_at) VALUES (:u, :p, :when)")
    with db.engine.begin() as connection:
        assert table_rows(connection, "post_like") == []
        connection.execute(
            insert, [{"u": u, "p": p, "when": WHEN} for u in (1, 2, 3) for p in (4, 5)]
        )
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(insert, {"u": 1, "p": 4, "when": WHEN})
    # A post or an account that goes takes its likes along, on either database.
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(sa.text("PRAGMA foreign_keys = ON"))
        connection.execute(sa.text("DELETE FROM post WHERE id = 5"))
        connection.execute(sa.text("DELETE FROM followers WHERE 3 IN (follower_id, followed_id)"))
        connection.execute(sa.text("DELETE FROM post WHERE user_id = 3"))
        connection.execute(sa.text('DELETE FROM "user" WHERE id = 3'))
        likes = [(row["user_id"], row["post_id"]) for row in table_rows(connection, "post_like")]
        assert likes == [(1, 4), (2, 4)]
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    downgrade(revision=scripts().get_revision(LIKES_REVISION).down_revision)
    with db.engine.connect() as connection:
        assert not sa.inspect(connection).has_table("post_like")
    _assert_rows_kept(before)
    upgrade()
    _assert_rows_kept(before)
    runner = migration_app.test_cli_runner()
    assert runner.invoke(args=["db", "check"]).exit_code == 0


NOTIFICATIONS_REVISION = "d7e3b1a9c582"


def test_notifications_arrive_empty_and_leave_every_account_post_and_follow(migration_app):
    """Existing accounts start with nothing unread and every kind shown, nothing emailed; a
    downgrade drops notifications and mentions and keeps everything else."""
    previous = scripts().get_revision(NOTIFICATIONS_REVISION).down_revision
    upgrade(revision=previous)
    with db.engine.begin() as connection:
        _fill_previous_revision(connection)
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    upgrade(revision=NOTIFICATIONS_REVISION)
    with db.engine.begin() as connection:
        users = table_rows(connection, "user")
        assert {
            (
                u["notifications_version"],
                u["notifications_seen_version"],
                u["notifications_read_id"],
            )
            for u in users
        } == {(0, 0, 0)}
        assert {(u["notify_kinds"], u["email_kinds"]) for u in users} == {(15, 0)}
        connection.execute(
            sa.text(
                "INSERT INTO notification (user_id, actor_id, kind, post_id, created_at) "
                "VALUES (1, 2, 4, 3, :when)"
            ),
            {"when": WHEN},
        )
        connection.execute(
            sa.text("INSERT INTO mention (post_id, name_key, user_id) VALUES (3, 'user1', 1)")
        )
        with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
            connection.execute(
                sa.text(
                    "INSERT INTO notification (user_id, actor_id, kind, created_at) "
                    "VALUES (1, 2, 3, :when)"
                ),
                {"when": WHEN},
            )
        # A post's mentions and notifications go with it.
        if connection.dialect.name == "sqlite":
            connection.execute(sa.text("PRAGMA foreign_keys = ON"))
        connection.execute(sa.text("DELETE FROM post WHERE id = 3"))
        assert table_rows(connection, "notification") == table_rows(connection, "mention") == []
        connection.execute(
            sa.text(
                "INSERT INTO notification (user_id, actor_id, kind, created_at, group_key) "
                "VALUES (1, 2, 1, :when, 'follow:2024-05-17')"
            ),
            {"when": WHEN},
        )
        before = {name: table_rows(connection, name) for name in ("user", "post", "followers")}
    downgrade(revision=previous)
    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        assert not inspector.has_table("notification")
        assert not inspector.has_table("mention")
        assert "notify_kinds" not in table_rows(connection, "user")[0]
    _assert_rows_kept(before)
    upgrade()
    _assert_rows_kept(before)
