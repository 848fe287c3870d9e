"""Error pages in the site's layout."""

from app.errors.handlers import bp

__all__ = ["bp"]
