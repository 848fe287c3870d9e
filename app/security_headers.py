"""Security headers on every response, error pages and static files included."""

from flask import Flask, Response

# Everything comes from this site; no inline script or style, no plugins, no framing, and
# forms may only post back here. Avatars are same-origin SVG files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    # Page URLs (which may carry usernames and cursors) never leave the site.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Add :data:`SECURITY_HEADERS`, leaving any a view chose to set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def register_security_headers(app: Flask) -> None:
    """Send :data:`SECURITY_HEADERS` with every response of ``app``."""
    app.after_request(add_security_headers)
