"""The gunicorn settings file the project root carries."""

import gc
import runpy

from tests.helpers import PROJECT_ROOT

CONF = PROJECT_ROOT / "gunicorn.conf.py"


def test_workers_freeze_the_loaded_app_out_of_garbage_collection():
    settings = runpy.run_path(str(CONF))
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
