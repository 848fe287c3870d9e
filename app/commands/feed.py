"""``flask feed rebuild``: make every home feed again from the posts and follows.

Feeds are kept by database triggers (app/models/feed.py) with the settings they were made
with; a change of ``HOME_FEED_SIZE`` or ``HOME_FEED_FANOUT_LIMIT`` applies once they are rebuilt,
and a bulk load that set the triggers aside leaves every home timeline read from the posts
until then. One transaction: pages meanwhile read the old feeds.
"""

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models.feed import feed_settings, rebuild_home_feeds

feed = AppGroup("feed", help="The home feeds written when people post.")


@feed.command("rebuild")
def rebuild() -> None:
    """Make every reader's home feed again, with the configured settings."""
    started = time.perf_counter()
    with db.engine.begin() as connection:
        rebuild_home_feeds(connection)
    size, limit = feed_settings()
    click.echo(
        f"Rebuilt the home feeds ({size} posts each, accounts with more than {limit} "
        f"followers read at page time) in {time.perf_counter() - started:.1f} s."
    )
