"""Bind parameters shared by the statements that are built once and run on every page (profile
counts here, listings in :mod:`app.listings`): the values change per request, the statement
does not, so SQLAlchemy neither builds it nor works out its cache key again."""

import sqlalchemy as sa

USER_ID = sa.bindparam("user_id", type_=sa.Integer)
"""The user a statement is about (whose profile, followers or timeline)."""
OTHER_ID = sa.bindparam("other_id", type_=sa.Integer)
"""A second user, for statements about two (does one follow the other)."""
VIEWER_ID = sa.bindparam("viewer_id", type_=sa.Integer)
"""Who is looking (None: nobody in particular), for what they may see."""
AUTHOR_ID = sa.bindparam("author_id", type_=sa.Integer)
"""Whose posts a listing shows."""
