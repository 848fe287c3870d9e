"""Chirp: a small server-rendered microblog."""

import os

from flask import Flask, Response
from flask.logging import default_handler
from jinja2 import FileSystemBytecodeCache

from app.commands import register_commands
from app.database import configure_connections
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.models.search import require_fts5
from app.web.body_limit import WholeBodyRequest
from app.web.deployment import configure_deployment
from app.web.permissions import AnonymousUser
from app.web.security_headers import keep_private_out_of_caches, register_security_headers
from app.web.templating import ChirpEnvironment
from config import Config


class Chirp(Flask):
    """Flask, with request bodies read whole or refused (never cut at the size limit),
    private responses kept out of caches once every header, cookies included, is set, and
    templates that read the Jinja environment's globals directly (app/web/templating.py)."""

    request_class = WholeBodyRequest
    jinja_environment = ChirpEnvironment

    def process_response(self, response: Response) -> Response:
        """Flask's ``after_request`` hooks and session cookie, then the cache rule (the session
        cookie is set after the hooks, so a hook could not see it)."""
        return keep_private_out_of_caches(super().process_response(response))


def create_app(config_class: type = Config) -> Flask:
    """Build a Chirp application configured by ``config_class``."""
    app = Chirp(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    configure_deployment(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault("DEV_OUTBOX_DIR", os.path.join(app.instance_path, "dev-outbox"))
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the shared extension objects to ``app``."""
    from app.web import csrf_tokens

    db.init_app(app)
    with app.app_context():
        checkpoints = configure_connections(db.engine, app.config["SQLITE_CHECKPOINT_SECONDS"])
        if checkpoints is not None:
            app.extensions["sqlite_checkpoints"] = checkpoints
        require_fts5(db.engine)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    login_manager.anonymous_user = AnonymousUser
    csrf.init_app(app)
    csrf_tokens.init_app(app)
    limiter.init_app(app)
    # Flask-Limiter says that its store (Redis) cannot be reached, and that it counts in memory
    # meanwhile, on a logger of its own that has no handler: send it where the app's messages go.
    if default_handler in app.logger.handlers:
        limiter.logger.addHandler(default_handler)


def register_url_converters(app: Flask) -> None:
    """Route variable types of our own (needed before the routes that use them)."""
    from app.web.urls import IdConverter

    app.url_map.converters["id"] = IdConverter


def register_blueprints(app: Flask) -> None:
    """Mount every feature blueprint."""
    from app.account import bp as account_bp
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.errors import bp as errors_bp
    from app.likes import bp as likes_bp
    from app.mail.outbox import outbox_enabled
    from app.main import bp as main_bp
    from app.moderation import bp as moderation_bp
    from app.notifications import bp as notifications_bp
    from app.posts import bp as posts_bp
    from app.search import bp as search_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(main_bp)
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(posts_bp)
    app.register_blueprint(likes_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    if outbox_enabled(app):
        from app.dev import bp as dev_bp

        app.register_blueprint(dev_bp, url_prefix="/dev")


def register_template_helpers(app: Flask) -> None:
    """Filters, functions and constants the templates share."""
    from app.listings import cards
    from app.listings.people import people_list_html, who_to_follow
    from app.mail.outbox import outbox_link
    from app.models import ABOUT_ME_MAX_LENGTH, POST_MAX_LENGTH
    from app.models.types import utcnow
    from app.search.tags import trending, trending_list
    from app.web import fragments, notices
    from app.web.filters import exact_time, link_text, relative_time
    from app.web.icons import icon
    from app.web.outages import database_state
    from app.web.urls import avatar_url, static_url, this_page, url_for_id, url_for_name

    app.add_template_filter(relative_time, "relative_time")
    app.add_template_filter(exact_time, "exact_time")
    app.add_template_filter(link_text, "link_text")
    app.add_template_global(url_for_id)
    app.add_template_global(url_for_name)
    app.add_template_global(static_url)
    app.add_template_global(icon)
    app.add_template_global(this_page)
    app.add_template_global(avatar_url)
    app.add_template_global(outbox_link)
    app.add_template_global(who_to_follow)
    app.add_template_global(people_list_html)
    app.add_template_global(trending)
    app.add_template_global(trending_list)
    app.context_processor(database_state)
    if app.config.get("TEMPLATE_BYTECODE_DIR"):
        # Compiled templates shared by every app a process makes (the test suite makes
        # thousands); Jinja checks each against its source before it uses it.
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(app.config["TEMPLATE_BYTECODE_DIR"])
    cards.init_app(app)
    fragments.init_app(app)
    notices.init_app(app)
    app.jinja_env.globals.update(
        POST_MAX_LENGTH=POST_MAX_LENGTH, ABOUT_ME_MAX_LENGTH=ABOUT_ME_MAX_LENGTH, utcnow=utcnow
    )
