"""``flask`` commands for operators."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add Chirp's own commands to ``app.cli``."""
    from app.commands.fake import fake_command
    from app.commands.feed import feed
    from app.commands.search import search
    from app.commands.status import status
    from app.commands.users import users

    app.cli.add_command(fake_command)
    app.cli.add_command(feed)
    app.cli.add_command(search)
    app.cli.add_command(status)
    app.cli.add_command(users)
