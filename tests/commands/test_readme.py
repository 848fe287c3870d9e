"""The README's commands: every ``flask`` subcommand and option it names exists, and the
commands after the quick start are all written for the activated virtual environment.

A README that names a command or flag the code no longer has sends a newcomer into an error in
their first minutes; this reads the README's ``sh`` blocks (and the commands quoted in its text)
and asks the real command line, as ``flask`` would build it, about each one.
"""

import os
import re
import shlex
from pathlib import Path

import click
import pytest
from flask.cli import FlaskGroup, ScriptInfo

README = Path(__file__).parents[2] / "README.md"
SH_BLOCK = re.compile(r"^\s*```sh\n(.*?)^\s*```", re.MULTILINE | re.DOTALL)
# Inline code in the text that runs flask: `flask users list [--role moderator]`.
INLINE = re.compile(r"`((?:\.venv/bin/)?flask [^`]+)`")
SEPARATORS = {"&&", "||", ";", "|", "&"}


def readme_commands() -> list[list[str]]:
    """Each ``flask ...`` command in the README, as its words after ``flask``."""
    text = README.read_text()
    lines = [line for block in SH_BLOCK.findall(text) for line in block.splitlines()]
    lines += INLINE.findall(text)
    commands = []
    for line in lines:
        line = re.sub(r"\s#.*$", "", line).replace("[", " ").replace("]", " ")
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        for words in split_at(list(lexer), SEPARATORS):
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):  # VAR=value flask ...
                words.pop(0)
            is_flask = words and words[0] in ("flask", ".venv/bin/flask")
            if is_flask and words[1:] not in commands:
                commands.append(words[1:])
    return commands


def split_at(tokens: list[str], separators: set[str]) -> list[list[str]]:
    """``tokens`` cut into commands at each separator token."""
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in separators:
            commands.append([])
        else:
            commands[-1].append(token)
    return commands


COMMANDS = readme_commands()


def test_the_readme_names_the_commands_a_newcomer_needs():
    named = {" ".join(words[:2]) for words in COMMANDS}
    for expected in ("db upgrade", "run", "fake --users", "users create", "status"):
        assert any(name.startswith(expected) for name in named), expected


@pytest.fixture
def cli(app, monkeypatch):
    """The ``flask`` command line of the test app, with Flask's and Flask-Migrate's commands.

    Running it sets variables in this process's environment (``FLASK_RUN_FROM_CLI``, and
    ``.flaskenv``'s ``FLASK_DEBUG=1``): every app later tests made would start in debug mode.
    It reads no ``.flaskenv``, and the environment is put back afterwards.
    """
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    saved = dict(os.environ)
    yield FlaskGroup(create_app=lambda: app, load_dotenv=False, set_debug_flag=False)
    os.environ.clear()
    os.environ.update(saved)


def resolve(cli: click.Group, app, words: list[str]) -> tuple[list[str], click.Command]:
    """The subcommand ``words`` start with (e.g. ``users create``), and the command object."""
    command: click.Command = cli
    path = []
    # Closed at the end: looking a command up pushes an app context that lives as long.
    with click.Context(cli, obj=ScriptInfo(create_app=lambda: app)) as context:
        for word in words:
            if not isinstance(command, click.Group) or word.startswith("-"):
                break
            sub = command.get_command(context, word)
            assert sub is not None, (
                f"README names `flask {' '.join([*path, word])}`: no such command"
            )
            command, path = sub, [*path, word]
    return path, command


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(words) for words in COMMANDS])
def test_every_flask_command_and_option_in_the_readme_exists(app, runner, cli, words):
    path, command = resolve(cli, app, words)
    assert path, f"`flask {' '.join(words)}` names no subcommand"
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    known = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    for option in (word.split("=")[0] for word in words if word.startswith("-")):
        assert option in known, f"`flask {' '.join(path)}` has no {option} option"
        assert option in result.output


def test_commands_after_the_quick_start_expect_the_activated_venv():
    # One choice, stated once: activate the virtual environment, then plain `flask`/`python`.
    after_quick_start = README.read_text().split("## The first five minutes", 1)[1]
    for block in SH_BLOCK.findall(after_quick_start):
        assert ".venv/bin/" not in block, block
    assert re.search(r"^python3 -m venv \.venv && \. \.venv/bin/activate", README.read_text(), re.M)
