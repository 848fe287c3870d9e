"""The ``flask users`` command group, as an operator uses it."""

import pytest
import sqlalchemy as sa

from app.models import AuditLog, User, user_by_username

PASSWORD_INPUT = "a fine password\na fine password\n"


def count_users(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_first_admin_from_the_command_line(runner, db, client):
    result = runner.invoke(
        args=["users", "create", "ada", "Ada@Example.com", "--role", "admin"],
        input=PASSWORD_INPUT,
    )
    assert result.exit_code == 0, result.output
    assert "Created ada (admin)." in result.output
    assert "a fine password" not in result.output  # the prompt does not echo it
    ada = user_by_username("ada")
    assert ada.email == "ada@example.com"
    assert ada.has_role("admin")
    assert ada.has_role("moderator")  # admins can do all moderators can
    assert ada.is_confirmed  # the operator vouches for the address: ada can post at once
    response = client.submit("/auth/login", {"username": "ada", "password": "a fine password"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    entry = db.session.scalar(sa.select(AuditLog))
    assert (entry.actor_id, entry.actor_label, entry.action) == (None, "command line", "role.grant")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["ab", "ab@example.com"], "", "use 3 to 32 letters"),
        (["alice", "new@example.com"], "", "alice is taken"),
        (["admin", "new@example.com"], "", "admin is reserved"),
        (["carol", "not-an-address"], "", "Invalid value for EMAIL"),
        (["carol", "ALICE@example.com"], "", "is already registered"),
        (["carol", "carol@example.com"], "short\nshort\n", "use 8 to 128 characters"),
        (["carolcarol", "c@example.com"], "CarolCarol\nCarolCarol\n", "must not be the username"),
        (["carol", "carol@example.com", "--role", "king"], "", "'king' is not one of"),
    ],
)
def test_create_refuses_bad_input(runner, db, alice, args, stdin, message):
    result = runner.invoke(args=["users", "create", *args], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert count_users(db) == 1


def test_create_asks_again_when_passwords_differ(runner, db):
    stdin = "one password\nanother one\na fine password\na fine password\n"
    result = runner.invoke(args=["users", "create", "carol", "carol@example.com"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert user_by_username("carol").check_password("a fine password")


def test_grant_revoke_and_list(runner, db, alice, bob):
    result = runner.invoke(args=["users", "grant", "ALICE", "moderator"])
    assert result.output == "alice is now moderator.\n"
    assert runner.invoke(args=["users", "grant", "alice", "moderator"]).output == (
        "alice already is moderator.\n"
    )
    listing = runner.invoke(args=["users", "list"]).output.splitlines()
    assert listing[0].split() == ["alice", "alice@example.com", "active", "moderator"]
    assert listing[1].split() == ["bob", "bob@example.com", "active", "-"]
    assert listing[-1] == "2 users."
    only = runner.invoke(args=["users", "list", "--role", "moderator"]).output
    assert "bob" not in only
    assert "1 user." in only
    assert runner.invoke(args=["users", "revoke", "alice", "moderator"]).exit_code == 0
    assert not alice.has_role("moderator")
    assert runner.invoke(args=["users", "revoke", "alice", "moderator"]).output == (
        "alice is not moderator.\n"
    )
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["role.grant", "role.revoke"]


@pytest.mark.parametrize("command", ["grant", "revoke", "disable", "enable"])
def test_unknown_user_is_an_error(runner, db, command):
    args = ["users", command, "ghost"] + (["admin"] if command in ("grant", "revoke") else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "There is no user called ghost." in result.output


def test_disable_ends_sessions_and_blocks_login_until_enabled(
    runner, db, alice, alice_client, make_post, client_for
):
    make_post(alice, "still here")
    result = runner.invoke(args=["users", "disable", "alice", "--reason", "owner asked"])
    assert result.output == "alice is disabled.\n"
    assert alice_client.get("/").status_code == 302  # the open session has ended
    page = alice_client.submit(
        "/auth/login", {"username": "alice", "password": "correct horse battery"}
    ).get_data(as_text=True)
    assert "This account has been disabled." in page
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    # A disabled account's posts stay up (unlike a suspended one's).
    runner.invoke(args=["users", "create", "carol", "c@example.com"], input=PASSWORD_INPUT)
    assert "still here" in client_for("carol", "a fine password").get("/explore").get_data(
        as_text=True
    )
    assert (
        runner.invoke(args=["users", "disable", "alice"]).output == "alice is already disabled.\n"
    )
    assert runner.invoke(args=["users", "enable", "alice"]).output == "alice is enabled again.\n"
    assert runner.invoke(args=["users", "enable", "alice"]).output == "alice is not disabled.\n"
    assert client_for("alice").get("/").status_code == 200
    reasons = db.session.scalars(sa.select(AuditLog.reason).order_by(AuditLog.id)).all()
    assert reasons == ["owner asked", "from the command line"]


def test_create_with_a_role_named_twice_grants_and_logs_it_once(runner, db):
    result = runner.invoke(
        args=["users", "create", "ada", "ada@example.com", "--role", "admin", "--role", "admin"],
        input=PASSWORD_INPUT,
    )
    assert result.exit_code == 0, result.output
    assert "Created ada (admin)." in result.output
    assert user_by_username("ada").role_names() == ["admin"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1
