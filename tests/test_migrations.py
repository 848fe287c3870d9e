"""Alembic migrations: they build exactly the models' schema and can be undone."""

import pytest
from flask_migrate import downgrade, upgrade

from app import create_app
from tests.conftest import TestConfig


@pytest.fixture
def migration_app(tmp_path):
    """An app on an empty SQLite file, for running migrations against."""

    class MigrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrate.db'}"

    app = create_app(MigrationConfig)
    with app.app_context():
        yield app


def test_upgrade_matches_models_and_downgrade_works(migration_app):
    runner = migration_app.test_cli_runner()
    upgrade()
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    downgrade(revision="base")
    upgrade()
    assert runner.invoke(args=["db", "check"]).exit_code == 0
