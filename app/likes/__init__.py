"""Likes: liking and unliking a post (from any card, in place with JavaScript), who liked a
post, and the posts one liked."""

from app.likes.routes import bp

__all__ = ["bp"]
