"""Administration: granting and revoking roles, reading the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from app.admin import routes  # noqa: E402, F401
