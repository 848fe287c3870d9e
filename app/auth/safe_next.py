"""Checking the ``next`` parameter so a login link cannot send people to another site."""

from urllib.parse import unquote, urlsplit


def safe_next_path(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Browsers treat ``//host``, ``/\\host`` and ``http:host`` as other sites, and ignore tabs and
    newlines inside URLs, so anything but a plain absolute path is refused (also once decoded).
    """
    if not target:
        return None
    for candidate in (target, unquote(target)):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            return None
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return None
        if "\\" in candidate:
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target
