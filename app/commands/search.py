"""``flask search rebuild``: build the full-text index and the hashtags again from the posts.

Posts added with plain SQL (a bulk load) skip the app's index upkeep; so does a tokenizer
change in a new release. Either way this brings the index back in line, in one transaction:
searches meanwhile see the old index, never a half-built one.
"""

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models.search import rebuild_index

search = AppGroup("search", help="The full-text index of posts and their hashtags.")


@search.command("rebuild")
def rebuild() -> None:
    """Index every post again (words and hashtags)."""
    started = time.perf_counter()
    with db.engine.begin() as connection:
        count = rebuild_index(connection)
    seconds = time.perf_counter() - started
    click.echo(f"Indexed {count} post{'' if count == 1 else 's'} in {seconds:.1f} s.")
