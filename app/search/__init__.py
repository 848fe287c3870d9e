"""Finding people by the start of their username."""

from app.search.routes import bp

__all__ = ["bp"]
