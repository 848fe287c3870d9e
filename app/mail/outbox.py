"""The development outbox: emails kept in files so a developer can open their links in a page.

Without ``MAIL_SERVER`` in debug mode, every email is logged and also written here, and
``/dev/outbox`` (the ``dev`` blueprint) lists them. They are files in the instance folder rather
than rows or an in-process list: a table would need a migration for something production never
uses, and ``flask run``'s reloader starts a new process on every code change, which would empty
a list just when the developer is about to click a link. Only the newest :data:`KEEP` are kept.
"""

import time
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import Flask, current_app, url_for

KEEP = 50


def outbox_enabled(app: Flask) -> bool:
    """Whether ``app`` keeps its emails: debug mode and no mail server, never in production."""
    return bool(app.debug and not app.config.get("MAIL_SERVER"))


def outbox_link() -> str | None:
    """The outbox page's URL, for the "we sent you an email" notices; None where it does not
    exist (production, or a mail server configured). A template global."""
    if "dev.outbox_page" not in current_app.view_functions:
        return None
    return url_for("dev.outbox_page")


def _folder() -> Path:
    return Path(current_app.config["DEV_OUTBOX_DIR"])


def keep(message: EmailMessage) -> None:
    """Write ``message`` to the outbox, and drop the oldest beyond :data:`KEEP`."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    # Names sort by time; the random part keeps two emails of the same instant apart.
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
    (folder / name).write_bytes(message.as_bytes())
    for old in sorted(folder.glob("*.eml"))[:-KEEP]:
        old.unlink(missing_ok=True)


@dataclass(frozen=True)
class KeptEmail:
    """An email in the outbox, as the page shows it."""

    to: str
    subject: str
    date: str
    text: str


def newest_first() -> list[KeptEmail]:
    """The kept emails, newest first."""
    folder = _folder()
    if not folder.is_dir():
        return []
    parser = BytesParser(policy=policy.default)
    kept = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = parser.parsebytes(path.read_bytes())
        body = message.get_body(("plain",))
        kept.append(
            KeptEmail(
                to=str(message["To"]),
                subject=str(message["Subject"]),
                date=str(message["Date"]),
                text=body.get_content() if body is not None else "",
            )
        )
    return kept
