"""Entry point for ``flask run`` and ``flask shell``."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from app import create_app
from app.extensions import db
from app.models import AuditLog, Post, Report, Role, User

app = create_app()


@app.shell_context_processor
def make_shell_context() -> dict:
    """Names available in ``flask shell`` without importing them."""
    return {
        "sa": sa,
        "so": so,
        "db": db,
        "User": User,
        "Post": Post,
        "Role": Role,
        "Report": Report,
        "AuditLog": AuditLog,
    }
