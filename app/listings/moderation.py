"""The moderators' and admins' listings: the report queue, suspended accounts, the audit log."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.listings.keyset import Keyset, PageQuery, PreparedListing, decode_text, time_id_keyset
from app.models import AuditLog, Post, Report, User

REPORTS_OLDEST_FIRST = time_id_keyset(
    Report.created_at,
    Report.id,
    descending=False,
    position=lambda report: (report.created_at, report.id),
)

AUDIT_NEWEST_FIRST = time_id_keyset(
    AuditLog.created_at,
    AuditLog.id,
    descending=True,
    position=lambda entry: (entry.created_at, entry.id),
)

USERS_BY_NAME = Keyset(
    columns=(User.username_key,),
    descending=False,
    encode=lambda user: user.username_key,
    decode=decode_text,
)

_QUEUE = PreparedListing(
    REPORTS_OLDEST_FIRST,
    lambda: (
        sa.select(Report)
        .where(Report.resolved_at.is_(None))
        .options(so.joinedload(Report.post).joinedload(Post.author), so.joinedload(Report.reporter))
    ),
)
# With their roles: whether a moderator may lift a suspension depends on them.
_SUSPENDED = PreparedListing(
    USERS_BY_NAME,
    lambda: (
        sa.select(User).where(User.suspended_at.is_not(None)).options(so.selectinload(User.roles))
    ),
)
_AUDIT_LOG = PreparedListing(
    AUDIT_NEWEST_FIRST,
    lambda: sa.select(AuditLog).options(so.joinedload(AuditLog.target_user)),
)


def report_queue() -> PageQuery:
    """Pages of the moderation queue: unresolved reports, oldest first, with their posts."""
    return _QUEUE.pages()


def suspended_accounts() -> PageQuery:
    """Pages of the suspended accounts, alphabetically."""
    return _SUSPENDED.pages()


def audit_entries() -> PageQuery:
    """Pages of the audit log, newest first, with the accounts the entries are about."""
    return _AUDIT_LOG.pages()
