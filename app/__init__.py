"""Chirp: a small server-rendered microblog."""

import os

from flask import Flask

from app import sqlite as _sqlite  # noqa: F401  (registers the SQLite connection settings)
from app.extensions import csrf, db, limiter, login_manager, migrate
from config import Config


def create_app(config_class: type = Config) -> Flask:
    """Build a Chirp application configured by ``config_class``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the shared extension objects to ``app``."""
    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount every feature blueprint."""
    from app.auth import bp as auth_bp
    from app.errors import bp as errors_bp
    from app.main import bp as main_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(main_bp)


def register_template_helpers(app: Flask) -> None:
    """Filters and constants the templates share."""
    from app.models import ABOUT_ME_MAX_LENGTH, POST_MAX_LENGTH
    from app.timefmt import relative_time
    from app.types import utcnow

    app.add_template_filter(relative_time, "relative_time")
    app.jinja_env.globals.update(
        POST_MAX_LENGTH=POST_MAX_LENGTH, ABOUT_ME_MAX_LENGTH=ABOUT_ME_MAX_LENGTH, utcnow=utcnow
    )
