"""The account lifecycle: confirming and changing the email address, resetting and changing the
password, exporting one's data and deleting the account."""

from app.account.routes import bp

__all__ = ["bp"]
