"""``flask`` command groups, one module each."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add Chirp's command groups to ``app``'s ``flask`` CLI."""
    from app.commands.users import users

    app.cli.add_command(users)
