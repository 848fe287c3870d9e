"""gunicorn settings: read by ``gunicorn microblog:app`` run from the project root."""

import gc

from config import Config


def when_ready(server) -> None:
    """Warn when several workers would each keep rate-limit counts of their own.

    With ``memory://`` every worker process counts on its own, so two workers allow twice
    every limit (ten logins a minute become twenty); ``RATELIMIT_STORAGE_URI=redis://...``
    shares the counts.
    """
    shared = not Config.RATELIMIT_STORAGE_URI.startswith("memory://")
    if server.cfg.workers > 1 and Config.RATELIMIT_ENABLED and not shared:
        server.log.warning(
            "Rate limits count per worker: %d workers allow %d times each limit. "
            "Set RATELIMIT_STORAGE_URI=redis://... to share the counts.",
            server.cfg.workers,
            server.cfg.workers,
        )


def post_worker_init(_worker) -> None:
    """Leave the objects the app is built from (about 120,000) out of garbage collection.

    They live as long as the worker. Without this, every full collection walks them all
    (some 60 ms at a time): one request in a few hundred would wait for it.
    """
    gc.freeze()
