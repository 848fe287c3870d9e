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
        "auth",
        "avatar",
        "chirp",
        "edit_profile",
        "explore",
        "follow",
        "followers",
        "following",
        "help",
        "index",
        "login",
        "logout",
        "mod",
        "moderator",
        "null",
        "post",
        "posts",
        "register",
        "reset_password",
        "root",
        "security",
        "settings",
        "static",
        "staff",
        "support",
        "system",
        "unfollow",
        "user",
        "users",
        "www",
    }
)


def is_reserved_username(name: str) -> bool:
    """True if ``name`` (in any case) is kept back for the site itself."""
    return name.lower() in RESERVED_USERNAMES
