"""Finding people by the start of their username."""

from flask import Blueprint

bp = Blueprint("search", __name__, template_folder="templates")

from app.search import routes  # noqa: E402, F401
