"""Notifications: the list (``/notifications``), the bell's unread count and its JSON for open
pages, which kinds to be shown and emailed, and the one-click unsubscribe of the emails."""

from app.notifications.routes import bp

__all__ = ["bp"]
