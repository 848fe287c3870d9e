"""Column types shared by the models."""

from datetime import UTC, datetime
from functools import cache

import sqlalchemy as sa

# The largest id a row can have: id columns are ``sa.Integer``, PostgreSQL's 32-bit integer.
# A larger number in a URL names no row; sent to the database, it fails the query.
MAX_ID = 2**31 - 1


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    SQLite drops the offset, so values are normalised to UTC on the way in and
    tagged as UTC on the way out. Naive datetimes are refused: they are a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Reject naive values and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@cache
def time_from_driver(dialect: sa.Dialect):
    """What turns a time as ``dialect``'s driver gives it (SQLite: text) into the aware UTC
    datetime a :class:`UTCDateTime` column reads, for statements run as their SQL text."""
    column_type = UTCDateTime().dialect_impl(dialect)
    return column_type.result_processor(dialect, None) or (lambda value: value)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (used as a column default)."""
    return datetime.now(UTC)
