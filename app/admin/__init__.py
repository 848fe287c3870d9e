"""Administration: granting and revoking roles, reading the audit log."""

from app.admin.routes import bp

__all__ = ["bp"]
