"""Error pages in the site's layout."""

from flask import Blueprint

bp = Blueprint("errors", __name__, template_folder="templates")

from app.errors import handlers  # noqa: E402, F401
