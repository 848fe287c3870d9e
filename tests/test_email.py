"""Sending email: through a real SMTP server, to the log without one, and failing politely."""

import logging
import smtplib
import socket
from types import SimpleNamespace

import pytest

from app.email import send_email
from tests.smtp import LoopbackSMTP


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send_test_message(app) -> bool:
    with app.test_request_context():
        return send_email(
            "carol@example.com",
            "Hello there",
            "confirm_email",
            user=SimpleNamespace(username="carol"),
            link="http://localhost/x",
            valid_for="1 day",
        )


def test_message_has_text_and_html_parts(app, mailbox):
    app.config["MAIL_DEFAULT_SENDER"] = "Chirp <robot@chirp.example>"
    assert send_test_message(app)
    message = mailbox.last()
    assert message["To"] == "carol@example.com"
    assert message["X-Envelope-To"] == "carol@example.com"
    assert message["From"] == "Chirp <robot@chirp.example>"
    assert message["Subject"] == "Hello there"
    assert message["Message-ID"].endswith("@chirp.example>")
    assert message.get_content_type() == "multipart/alternative"
    assert "Hi carol," in mailbox.text(message)
    assert "http://localhost/x" in mailbox.text(message)
    assert '<a href="http://localhost/x">' in mailbox.html(message)


def test_without_a_mail_server_the_message_is_logged(app, caplog):
    app.config["MAIL_SERVER"] = ""
    with caplog.at_level(logging.WARNING):
        assert send_test_message(app)
    assert "logged instead of sent" in caplog.text
    assert "To: carol@example.com" in caplog.text
    assert "http://localhost/x" in caplog.text


class Refusing:
    """An SMTP handler that turns every message away."""

    async def handle_DATA(self, _server, _session, _envelope):
        return "554 Transaction failed: no thank you"


def test_a_server_that_refuses_the_message_is_a_logged_failure(app, caplog):
    server = LoopbackSMTP(Refusing())
    server.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        assert not send_test_message(app)
    finally:
        server.stop()
    assert "Could not send email 'Hello there' to carol@example.com" in caplog.text
    assert "no thank you" in caplog.text


def test_an_unreachable_server_is_a_logged_failure(app, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    assert not send_test_message(app)
    assert "Could not send email" in caplog.text


@pytest.mark.parametrize("error", [smtplib.SMTPAuthenticationError(535, b"no"), TimeoutError()])
def test_login_or_timeout_failures_are_reported_not_raised(app, mailbox, monkeypatch, error):
    def fail(*_args, **_kwargs):
        raise error

    app.config.update(MAIL_USERNAME="chirp", MAIL_PASSWORD="secret")
    monkeypatch.setattr(smtplib.SMTP, "login", fail)
    assert not send_test_message(app)
    assert mailbox.messages == []
