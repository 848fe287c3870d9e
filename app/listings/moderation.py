"""The moderators' and admins' listings: the report queue, suspended accounts, the audit log."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.listings.keyset import Keyset, decode_text, decode_time_id, encode_time_id
from app.models import AuditLog, Post, Report, User

REPORTS_OLDEST_FIRST = Keyset(
    columns=(Report.created_at, Report.id),
    descending=False,
    encode=lambda report: encode_time_id(report.created_at, report.id),
    decode=decode_time_id,
)

AUDIT_NEWEST_FIRST = Keyset(
    columns=(AuditLog.created_at, AuditLog.id),
    descending=True,
    encode=lambda entry: encode_time_id(entry.created_at, entry.id),
    decode=decode_time_id,
)

USERS_BY_NAME = Keyset(
    columns=(User.username_key,),
    descending=False,
    encode=lambda user: user.username_key,
    decode=decode_text,
)


def open_reports() -> sa.Select[tuple[Report]]:
    """The moderation queue: unresolved reports, oldest first."""
    return (
        sa.select(Report)
        .where(Report.resolved_at.is_(None))
        .options(so.joinedload(Report.post).joinedload(Post.author), so.joinedload(Report.reporter))
        .order_by(Report.created_at, Report.id)
    )


def suspended_users() -> sa.Select[tuple[User]]:
    """Suspended accounts, alphabetically (pages of them follow ``USERS_BY_NAME``), with their
    roles: whether a moderator may lift a suspension depends on them."""
    return (
        sa.select(User)
        .where(User.suspended_at.is_not(None))
        .options(so.selectinload(User.roles))
        .order_by(User.username_key)
    )


def audit_entries() -> sa.Select[tuple[AuditLog]]:
    """The audit log, newest first, with the accounts the entries are about."""
    return (
        sa.select(AuditLog)
        .options(so.joinedload(AuditLog.target_user))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    )
