"""gunicorn settings: read by ``gunicorn microblog:app`` run from the project root."""

import gc


def post_worker_init(_worker) -> None:
    """Leave the objects the app is built from (about 120,000) out of garbage collection.

    They live as long as the worker. Without this, every full collection walks them all
    (some 60 ms at a time): one request in a few hundred would wait for it.
    """
    gc.freeze()
