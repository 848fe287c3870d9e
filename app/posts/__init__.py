"""One post: its permalink page, editing and deleting it, reporting it."""

from flask import Blueprint

bp = Blueprint("posts", __name__, template_folder="templates")

from app.posts import routes  # noqa: E402, F401
