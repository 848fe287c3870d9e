"""``flask feed rebuild``: make every home feed again from the posts and follows;
``flask feed refill``: only those that deleted posts left with less than a page.

Feeds are kept by database triggers (app/models/feed.py) with the settings they were made
with; a change of ``HOME_FEED_SIZE`` or ``HOME_FEED_FANOUT_LIMIT`` applies once they are rebuilt,
and a bulk load that set the triggers aside leaves every home timeline read from the posts
until then. One transaction: pages meanwhile read the old feeds.

Feeds are also built on demand: a reader without one (after ``flask fake``, which writes none)
gets theirs on their first home visit, so neither command is needed after a seed.
"""

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models.feed import feed_settings, rebuild_home_feeds, refill_home_feeds

feed = AppGroup(
    "feed",
    help="The home feeds written when people post. A reader without one (after `flask fake`) "
    "gets theirs built on their first home visit.",
)


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


@feed.command("refill")
@click.option("--rows", default=25, show_default=True, help="Refill feeds with fewer rows.")
def refill(rows: int) -> None:
    """Make again the feeds left with fewer than ROWS rows by deleted posts (after a bulk
    delete: a write load's posts, a prolific account's), leaving the others as they are."""
    started = time.perf_counter()
    with db.engine.begin() as connection:
        readers = refill_home_feeds(connection, rows=rows)
    click.echo(
        f"Refilled {len(readers)} home feeds with fewer than {rows} rows "
        f"in {time.perf_counter() - started:.1f} s."
    )
