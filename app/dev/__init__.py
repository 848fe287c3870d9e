"""Development-only pages (the email outbox). ``create_app`` registers this blueprint only when
:func:`app.mail.outbox.outbox_enabled` says so, so in production its URLs do not exist at all."""

from app.dev.routes import bp

__all__ = ["bp"]
