"""The email Chirp sends: sending it (SMTP, or the log in development), what each account email
says and the signed, expiring links in it. Registration (auth) and the account pages both send
these, so they live here rather than in either blueprint; their templates are the shared
``app/templates/email/``."""
