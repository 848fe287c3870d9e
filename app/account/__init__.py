"""The account lifecycle: confirming and changing the email address, resetting and changing the
password, exporting one's data and deleting the account."""

from flask import Blueprint

bp = Blueprint("account", __name__, template_folder="templates")

from app.account import routes  # noqa: E402, F401
