"""One post: its permalink page, editing and deleting it, reporting it."""

from app.posts.routes import bp

__all__ = ["bp"]
