"""A browser's User-Agent header in plain words ("Chrome on Linux"), for the sessions list.

Only what the list needs to tell one's devices apart: the browser's family and the system it
runs on, looked for by the tokens browsers send. Anything unrecognised is said to be unknown,
never guessed; the header comes from the browser and may say anything.
"""

# (token in the header, name), the first match wins: browsers built on Chrome also say
# "Chrome", and nearly all say "Safari", so the more particular tokens come first.
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Vivaldi/", "Vivaldi"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
# Android says "Linux", and iPhones and iPads say "like Mac OS X": they come first.
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def _first(user_agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for token, name in table if token in user_agent), None)


def describe_device(user_agent: str | None) -> str:
    """E.g. "Firefox on Windows", "Safari on iPhone", "Unknown browser on Linux"."""
    user_agent = user_agent or ""
    browser = _first(user_agent, _BROWSERS) or "Unknown browser"
    system = _first(user_agent, _SYSTEMS)
    return f"{browser} on {system}" if system else browser
