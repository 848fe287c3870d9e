"""``flask status``: which database this is, how far it is migrated, and how full it is."""

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db

UPGRADE_HINT = 'run "flask db upgrade"'


def masked_url(url: sa.URL) -> str:
    """``url`` as text, with any password (before the host or in the query) shown as ``***``."""
    query = {key: "***" if "password" in key.lower() else value for key, value in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=True)


def migration_state(connection: sa.Connection) -> str:
    """The database's Alembic revision, compared with the newest migration of this code."""
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    heads = tuple(scripts.get_heads())
    context = MigrationContext.configure(connection)
    current = tuple(context.get_current_heads())
    if not current:
        if set(sa.inspect(connection).get_table_names()) - {context.version_table}:
            return 'none recorded, but tables exist (made without migrations? see "flask db stamp")'
        return f"none, the database is empty: {UPGRADE_HINT}"
    shown = ", ".join(current)
    if set(current) == set(heads):
        return f"{shown} (head, up to date)"
    known = {script.revision for script in scripts.walk_revisions()}
    if not set(current) <= known:
        return f"{shown} (unknown to this code: is the database newer than this Chirp?)"
    pending = len(list(scripts.iterate_revisions(heads, current)))
    plural = "s" if pending > 1 else ""
    return f"{shown} ({pending} migration{plural} behind {', '.join(heads)}: {UPGRADE_HINT})"


def row_counts(connection: sa.Connection) -> dict[str, int | None]:
    """Rows in each of the models' tables, by name; None for a table that does not exist."""
    existing = set(sa.inspect(connection).get_table_names())
    return {
        table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
        if table.name in existing
        else None
        for table in sorted(db.metadata.sorted_tables, key=lambda table: table.name)
    }


@click.command()
@with_appcontext
def status() -> None:
    """Show the database URL (password masked), its migration revision and row counts."""
    url = db.engine.url
    click.echo(f"Database:   {masked_url(url)}")
    try:
        with db.engine.connect() as connection:
            state = migration_state(connection)
            counts = row_counts(connection)
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise click.ClickException(f"cannot reach the database: {reason}") from exc
    click.echo(f"Migration:  {state}")
    click.echo("Rows:")
    width = max(map(len, counts))
    for name, rows in counts.items():
        click.echo(f"  {name:<{width}}  {'no such table' if rows is None else f'{rows:,}'}")
