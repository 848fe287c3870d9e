"""Sending email: multipart (plain text + HTML) messages rendered from templates, over SMTP.

Configured by the ``MAIL_*`` settings. Without ``MAIL_SERVER`` (development) a message is written
to the log instead of sent, and in debug mode also kept in the development outbox
(:mod:`app.mail.outbox`), a page from which its links can be followed.
"""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app, render_template

from app.mail import outbox


def build_message(to: str, subject: str, template: str, **context) -> EmailMessage:
    """A message to ``to`` whose parts are ``email/<template>.txt`` and ``.html``."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    # make_msgid() would otherwise look up this host's name, which can stall on DNS.
    message["Message-ID"] = make_msgid(
        domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    )
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return message


def send_email(to: str, subject: str, template: str, **context) -> bool:
    """Send a templated message; False (and a log entry) if the mail server could not take it."""
    return deliver(build_message(to, subject, template, **context))


def deliver(message: EmailMessage) -> bool:
    """Send ``message`` (from :func:`build_message`, maybe with headers added); False (and a
    log entry) if the mail server could not take it."""
    to, subject = message["To"], message["Subject"]
    config = current_app.config
    if not config["MAIL_SERVER"]:
        text = message.get_body(("plain",)).get_content()
        current_app.logger.warning(
            "MAIL_SERVER is not set, so this email was logged instead of sent.\n"
            "To: %s\nSubject: %s\n\n%s",
            to,
            subject,
            text,
        )
        if outbox.outbox_enabled(current_app):
            outbox.keep(message)
        return True
    try:
        with _connect(config) as smtp:
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError):
        current_app.logger.exception("Could not send email %r to %s", subject, to)
        return False
    return True


def _connect(config) -> smtplib.SMTP:
    """A connection to the mail server, encrypted as ``MAIL_USE_SSL``/``MAIL_USE_TLS`` say."""
    server, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(server, port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(server, port, timeout=timeout)
    if config["MAIL_USE_TLS"]:
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()  # the caller's ``with`` never got the connection
            raise
    return smtp
