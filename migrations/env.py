"""Alembic environment: migrate the database of the current Flask app."""

import logging
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app

from app.models.search import skipped_by_migrations

config = context.config
# Keep the app's own loggers (and pytest's capture) working when migrations run in-process.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
target_metadata = migrate_ext.db.metadata
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline():
    """Emit SQL to standard output instead of running it (``flask db upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations on a live connection."""

    def skip_empty_autogenerate(_context, _revision, directives):
        # Don't write an empty revision file when the models did not change.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild SQLite tables with DROP TABLE; with foreign keys on, that
            # would cascade and delete every row that refers to the table. The pragma only takes
            # effect outside a transaction, which pysqlite does not open for PRAGMA statements.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end SQLAlchemy's implicit transaction before Alembic's own
        dialect = connection.dialect.name
        conf_args.setdefault(
            "include_object",
            lambda _obj, name, type_, _reflected, _other: not skipped_by_migrations(
                name, type_, dialect
            ),
        )
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction(), warnings.catch_warnings():
            if sqlite:
                # PostgreSQL's BRIN index of the ids is of an expression (skipped on SQLite, see
                # skipped_by_migrations); Alembic warns that SQLite cannot reflect one.
                warnings.filterwarnings(
                    "ignore",
                    "autogenerate skipping metadata-specified expression-based index "
                    "'ix_post_search_post_id_brin'",
                    UserWarning,
                )
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
