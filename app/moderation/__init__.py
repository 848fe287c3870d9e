"""Moderation: the queue of reported posts, hiding posts and suspending accounts."""

from app.moderation.routes import bp

__all__ = ["bp"]
