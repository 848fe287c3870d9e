"""The application's own ``flask`` commands, one module per command."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every Chirp command to ``app.cli``."""
    from app.commands.fake import fake_command

    app.cli.add_command(fake_command)
