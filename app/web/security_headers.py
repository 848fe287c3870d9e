"""Security headers on every response, error pages and static files included."""

from flask import Flask, Response, current_app, request

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
    """Add :data:`SECURITY_HEADERS`, leaving any a view chose to set itself.

    Over HTTPS, also HSTS: the browser then uses HTTPS for this host for ``HSTS_MAX_AGE``
    seconds, even for a typed ``http://`` address or link. Browsers ignore the header over plain
    HTTP, so it is only sent where it counts (behind a proxy, see ``PROXY_FIX_X_PROTO``).
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    max_age = current_app.config["HSTS_MAX_AGE"]
    if max_age and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def register_security_headers(app: Flask) -> None:
    """Send :data:`SECURITY_HEADERS` with every response of ``app``."""
    app.after_request(add_security_headers)
