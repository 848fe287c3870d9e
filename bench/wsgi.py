"""The WSGI app gunicorn serves during the benchmark: the real app, rate limits off.

wrk sends every request from 127.0.0.1, so per-address limits would answer 429 and measure the
limiter instead of the pages.
"""

import os
import secrets

from app import create_app
from config import Config


class BenchConfig(Config):
    """Production settings, except that no request is rate-limited."""

    RATELIMIT_ENABLED = False
    # bench/run.py gives gunicorn one key for both workers; in-process apps make their own.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    # bench/load.py gives gunicorn the address it serves; in-process apps serve nothing.
    SITE_URL = os.environ.get("SITE_URL") or "http://127.0.0.1"


app = create_app(BenchConfig)
