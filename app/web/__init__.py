"""Request plumbing every blueprint uses: security headers and caching, start-up checks (the
secret key, SITE_URL, proxies), request body limits, rate limits (failed logins per name too),
database outages, permissions, the rows a request works on, form pages that come back with a
message, URL helpers, the base of every form and the template filters."""
