"""Roles: named sets of powers granted to users (an admin can do all a moderator can)."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import insert_new
from app.models.types import UTCDateTime, utcnow

# The roles there are, and the roles each one includes: an admin can do all a moderator can.
ROLE_INCLUDES = {
    "admin": frozenset({"admin", "moderator"}),
    "moderator": frozenset({"moderator"}),
}
ROLE_NAMES = tuple(ROLE_INCLUDES)

user_roles = sa.Table(
    "user_roles",
    db.metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "role_id", sa.Integer, sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    # The primary key serves "roles of X"; this serves "who holds role R" (and the role FK).
    sa.Index("ix_user_roles_role_id_user_id", "role_id", "user_id"),
)


class Role(db.Model):
    """A named set of powers (see :data:`ROLE_INCLUDES`) granted to users via ``user_roles``."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)

    def __repr__(self) -> str:
        return f"<Role {self.name}>"


def ensure_roles() -> None:
    """Create the known roles that are missing (the migration seeds them; create_all does not)."""
    db.session.execute(insert_new(Role).values([{"name": name} for name in ROLE_NAMES]))


def role_named(name: str) -> Role:
    """The role called ``name``, created first if the database lacks it."""
    if name not in ROLE_NAMES:
        raise ValueError(f"There is no role called {name!r}.")
    role = db.session.scalar(sa.select(Role).where(Role.name == name))
    if role is None:
        ensure_roles()
        role = db.session.scalar(sa.select(Role).where(Role.name == name))
    return role
