"""Chirp as production serves it (``microblog:app``), naming in a header the worker process
that answered: tests of several gunicorn workers check that each one really served requests."""

import os

from microblog import app as chirp


def app(environ, start_response):
    """The WSGI app: Chirp, with ``X-Worker-Pid`` added to every response."""

    def start_with_pid(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Worker-Pid", str(os.getpid()))], exc_info)

    return chirp(environ, start_with_pid)
