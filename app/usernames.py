"""Names nobody may register: they look like the site's own paths or speak with its authority."""

# Path segments the site uses or may use (a profile at /user/<name> must never be mistaken for
# them in links or logs), and names that would pass for staff.
RESERVED_USERNAMES = frozenset(
    {
        "about",
        "account",
        "admin",
        "administrator",
        "api",
        "audit",
        "auth",
        "avatar",
        "chirp",
        "confirm",
        "contact",
        "delete",
        "edit",
        "edit_profile",
        "explore",
        "export",
        "feed",
        "follow",
        "followers",
        "following",
        "health",
        "healthz",
        "help",
        "index",
        "login",
        "logout",
        "messages",
        "metrics",
        "mod",
        "moderation",
        "moderator",
        "new",
        "notifications",
        "null",
        "post",
        "posts",
        "privacy",
        "register",
        "report",
        "reports",
        "reset_password",
        "root",
        "rss",
        "search",
        "security",
        "settings",
        "staff",
        "static",
        "status",
        "support",
        "system",
        "terms",
        "unfollow",
        "user",
        "users",
        "www",
    }
)


def is_reserved_username(name: str) -> bool:
    """True if ``name`` (in any case) is kept back for the site itself."""
    return name.lower() in RESERVED_USERNAMES
