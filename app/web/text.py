"""Checks on untrusted text shared by forms and URL parameters."""

import unicodedata

# Line breaks and tabs are ordinary text in a multi-line box; elsewhere they are controls too.
MULTILINE_WHITESPACE = frozenset("\t\n\r")


def has_control_characters(text: str, multiline: bool = False) -> bool:
    """True if ``text`` holds a C0/C1 control character such as NUL.

    With ``multiline``, tabs and line breaks are allowed.
    """
    allowed = MULTILINE_WHITESPACE if multiline else frozenset()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)
