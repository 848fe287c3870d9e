"""The migration that keeps PostgreSQL from scanning post_search in parallel (and the models,
which create the table the same way)."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="a PostgreSQL storage parameter"
)
REVISION = "c8d4f2a7e9b1"


def _options() -> list[str]:
    query = sa.text("SELECT reloptions FROM pg_class WHERE relname = 'post_search'")
    with db.engine.connect() as connection:
        return connection.execute(query).scalar_one() or []


def test_upgrade_turns_parallel_scans_off_and_downgrade_back_on(migration_app):
    upgrade(revision=REVISION)
    assert _options() == ["parallel_workers=0"]
    downgrade(revision="-1")
    assert _options() == []
    upgrade(revision=REVISION)
    assert _options() == ["parallel_workers=0"]


def test_the_models_make_post_search_without_parallel_scans(db):
    assert _options() == ["parallel_workers=0"]
