"""``flask users``: accounts and roles from the command line (how the first admin is made)."""

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from app.extensions import db
from app.models import (
    ROLE_NAMES,
    USERNAME_PATTERN,
    User,
    record_action,
    user_by_email,
    user_by_username,
)
from app.models.types import utcnow
from app.web.account_fields import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, is_reserved_username

users = AppGroup("users", help="Create accounts, grant roles, list and disable users.")

CLI_REASON = "from the command line"


def _user(username: str) -> User:
    user = user_by_username(username)
    if user is None:
        raise click.ClickException(f"There is no user called {username}.")
    return user


def _check_identity(username: str, email: str) -> str:
    """Apply the registration form's rules to the name and address; returns the address."""
    if not USERNAME_PATTERN.match(username):
        raise click.BadParameter(
            "use 3 to 32 letters, digits or underscores.", param_hint="USERNAME"
        )
    if is_reserved_username(username):
        raise click.BadParameter(f"{username} is reserved for the site.", param_hint="USERNAME")
    if user_by_username(username) is not None:
        raise click.BadParameter(f"{username} is taken.", param_hint="USERNAME")
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc
    if user_by_email(email) is not None:
        raise click.BadParameter(f"{email} is already registered.", param_hint="EMAIL")
    return email


def _check_password(username: str, password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise click.BadParameter(
            f"use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.", param_hint="password"
        )
    if password.lower() == username.lower():
        raise click.BadParameter("must not be the username.", param_hint="password")


@users.command("create")
@click.argument("username")
@click.argument("email")
@click.option(
    "--role", "roles", multiple=True, type=click.Choice(ROLE_NAMES), help="Grant this role too."
)
def create(username: str, email: str, roles: tuple[str, ...]) -> None:
    """Create an account, asking for its password (e.g. the first admin: --role admin)."""
    email = _check_identity(username, email)
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _check_password(username, password)
    # The operator vouches for the address, so the account can post without a confirmation email.
    user = User(username=username, email=email, email_confirmed_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    for name in roles:
        # "--role admin --role admin" grants (and logs) it once.
        if user.grant_role(name):
            record_action(None, "role.grant", user, f"{name}, {CLI_REASON}")
    db.session.commit()
    granted = user.role_names()
    click.echo(f"Created {username}" + (f" ({', '.join(granted)})." if granted else "."))


def _change_role(username: str, role: str, grant: bool) -> None:
    """Grant or revoke ``role``, with an audit entry; says so if there is nothing to change."""
    user = _user(username)
    if grant:
        changed, action, already, done = user.grant_role(role), "grant", "already is", "is now"
    else:
        changed, action, already, done = user.revoke_role(role), "revoke", "is not", "is no longer"
    if not changed:
        click.echo(f"{user.username} {already} {role}.")
        return
    record_action(None, f"role.{action}", user, f"{role}, {CLI_REASON}")
    db.session.commit()
    click.echo(f"{user.username} {done} {role}.")


@users.command("grant")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLE_NAMES))
def grant(username: str, role: str) -> None:
    """Give USERNAME the role ROLE."""
    _change_role(username, role, grant=True)


@users.command("revoke")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLE_NAMES))
def revoke(username: str, role: str) -> None:
    """Take the role ROLE away from USERNAME."""
    _change_role(username, role, grant=False)


@users.command("list")
@click.option("--role", type=click.Choice(ROLE_NAMES), help="Only users with this role.")
def list_users(role: str | None) -> None:
    """List users alphabetically with their roles and state."""
    query = sa.select(User).options(so.selectinload(User.roles)).order_by(User.username_key)
    shown = 0
    # In batches, so a large user table is not loaded into memory at once.
    for user in db.session.scalars(query.execution_options(yield_per=500)):
        if role and role not in user.role_names():
            continue
        state = "suspended" if user.is_suspended else "disabled" if not user.is_active else "active"
        roles = ", ".join(user.role_names()) or "-"
        click.echo(f"{user.username:<32} {user.email:<40} {state:<9} {roles}")
        shown += 1
    click.echo(f"{shown} user{'' if shown == 1 else 's'}.")


@users.command("disable")
@click.argument("username")
@click.option("--reason", default=CLI_REASON, show_default=True, help="Kept in the audit log.")
def disable(username: str, reason: str) -> None:
    """Stop USERNAME from logging in and end their sessions (their posts stay up)."""
    user = _user(username)
    if user.disabled_at is not None:
        click.echo(f"{user.username} is already disabled.")
        return
    user.disabled_at = utcnow()
    user.end_sessions()  # for good: enabling the account again brings none back
    record_action(None, "user.disable", user, reason)
    db.session.commit()
    click.echo(f"{user.username} is disabled.")


@users.command("enable")
@click.argument("username")
@click.option("--reason", default=CLI_REASON, show_default=True, help="Kept in the audit log.")
def enable(username: str, reason: str) -> None:
    """Let a disabled USERNAME log in again."""
    user = _user(username)
    if user.disabled_at is None:
        click.echo(f"{user.username} is not disabled.")
        return
    user.disabled_at = None
    record_action(None, "user.enable", user, reason)
    db.session.commit()
    click.echo(f"{user.username} is enabled again.")
