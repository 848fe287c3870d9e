"""Human-friendly times."""

from datetime import datetime

from app.types import utcnow

_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def exact_time(when: datetime) -> str:
    """The date and time in words, e.g. "26 November 2026, 07:30 UTC" (for tooltips and
    screen readers, next to a relative time)."""
    return f"{when.day} {when:%B %Y, %H:%M} UTC"


def relative_time(when: datetime, now: datetime | None = None) -> str:
    """Say how long ago ``when`` was, e.g. "5 minutes ago" or "just now"."""
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 45:
        return "just now"
    for length, name in _UNITS:
        if seconds >= length:
            count = seconds // length
            return f"{count} {name}{'' if count == 1 else 's'} ago"
    return "1 minute ago"
