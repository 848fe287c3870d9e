"""The application factory and configuration."""

import pytest

from app import create_app
from config import Config, database_url
from tests.helpers import TestConfig


class ProductionConfig(Config):
    SECRET_KEY = "a-private-key-nobody-else-knows"
    SITE_URL = "https://chirp.example"


def test_factory_uses_given_config():
    assert not create_app(ProductionConfig).testing
    assert create_app(TestConfig).testing


def test_default_database_is_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///chirp.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_spellings(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url() == expected


def test_shell_context_has_models(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # as .flaskenv sets it for `flask shell`
    from microblog import app, make_shell_context

    names = make_shell_context()
    assert {"db", "sa", "so", "User", "Post"} <= set(names)
    assert app.name == "app"
