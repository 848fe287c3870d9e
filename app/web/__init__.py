"""Request plumbing every blueprint uses: security headers, start-up checks, rate limits,
permissions, the rows a request works on, form pages that come back with a message, URL
helpers, the base of every form and the template filters."""
