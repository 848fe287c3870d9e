"""Database models, one module per aggregate: accounts (``user``, found through ``accounts``)
with their login sessions (``sessions``), who follows whom (``follows``) and their stored counts
(``counts``), posts (``post``) and the home feeds they are written into (``feed``), roles
(``role``), moderation records (``moderation``), likes (``like``) and notifications with the
mentions they come from (``notifications``).

Everything pages and the ``flask shell`` use is importable from here:
``from app.models import User, Post``.
"""

from app.models.accounts import (
    session_and_user,
    staff_members,
    user_by_email,
    user_by_username,
)
from app.models.base import LAST_SEEN_INTERVAL, insert_new
from app.models.counts import counted_replies, post_stats, user_stats
from app.models.email_address import email_spellings, normalize_email
from app.models.feed import (
    home_feed,
    home_feed_author,
    home_feed_horizon,
    home_feed_merged,
    home_feed_reply,
    rebuild_home_feeds,
)
from app.models.follows import followers, on_timeline_of, timeline_authors_of
from app.models.like import Like, counted_likes, like, like_count, unlike
from app.models.moderation import (
    REASON_MAX_LENGTH,
    AuditLog,
    Report,
    open_report_by,
    open_reports_on,
    record_action,
    resolve_reports,
)
from app.models.notifications import Notification, mention
from app.models.post import POST_MAX_LENGTH, Post
from app.models.profile import ProfileStats, profile_stats
from app.models.role import ROLE_INCLUDES, ROLE_NAMES, Role, ensure_roles, role_named, user_roles
from app.models.search import PostSearch, PostSearchRecent, Tag, post_tag
from app.models.sessions import (
    LoginSession,
    UserSession,
    end_session_of,
    end_sessions_of,
    prune_sessions,
    sessions_of,
)
from app.models.types import MAX_ID, UTCDateTime, utcnow
from app.models.user import (
    ABOUT_ME_MAX_LENGTH,
    REPEAT_POST_INTERVAL,
    USERNAME_PATTERN,
    User,
    post_visible_to,
    suspended_at_of,
    visible_to,
)

__all__ = [
    "ABOUT_ME_MAX_LENGTH",
    "LAST_SEEN_INTERVAL",
    "MAX_ID",
    "POST_MAX_LENGTH",
    "REASON_MAX_LENGTH",
    "REPEAT_POST_INTERVAL",
    "ROLE_INCLUDES",
    "ROLE_NAMES",
    "USERNAME_PATTERN",
    "AuditLog",
    "Like",
    "LoginSession",
    "Notification",
    "Post",
    "PostSearch",
    "PostSearchRecent",
    "ProfileStats",
    "Report",
    "Role",
    "Tag",
    "UTCDateTime",
    "User",
    "UserSession",
    "counted_likes",
    "counted_replies",
    "email_spellings",
    "end_session_of",
    "end_sessions_of",
    "ensure_roles",
    "followers",
    "home_feed",
    "home_feed_author",
    "home_feed_horizon",
    "home_feed_merged",
    "home_feed_reply",
    "insert_new",
    "like",
    "like_count",
    "mention",
    "normalize_email",
    "on_timeline_of",
    "open_report_by",
    "open_reports_on",
    "post_stats",
    "post_tag",
    "post_visible_to",
    "profile_stats",
    "prune_sessions",
    "rebuild_home_feeds",
    "record_action",
    "resolve_reports",
    "role_named",
    "session_and_user",
    "sessions_of",
    "staff_members",
    "suspended_at_of",
    "timeline_authors_of",
    "unlike",
    "user_by_email",
    "user_by_username",
    "user_roles",
    "user_stats",
    "utcnow",
    "visible_to",
]
