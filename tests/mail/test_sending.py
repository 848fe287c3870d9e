"""Sending email: through a real SMTP server, to the log without one, and failing politely."""

import logging
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import trustme

from app.mail.sending import send_email
from tests.helpers import LoopbackSMTP, Mailbox


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


@pytest.fixture
def certificate_authority(monkeypatch):
    """A throwaway CA that this process trusts, as the system's CAs are trusted in production."""
    authority = trustme.CA()
    with authority.cert_pem.tempfile() as ca_file:
        # ssl.create_default_context() loads the trusted CAs from here.
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        yield authority


@contextmanager
def tls_mail_server(app, setting: str, certificate: trustme.LeafCert) -> Iterator[Mailbox]:
    """A loopback SMTP server presenting ``certificate``, and the app set to use ``setting``.

    ``MAIL_USE_SSL``: the server speaks TLS from the first byte. ``MAIL_USE_TLS``: it refuses
    mail until the client has said STARTTLS.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    box = Mailbox()
    if setting == "MAIL_USE_SSL":
        server = LoopbackSMTP(box, ssl_context=context)
    else:
        server = LoopbackSMTP(box, tls_context=context)
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, **{setting: True})
    try:
        yield box
    finally:
        server.stop()


@pytest.mark.parametrize("setting", ["MAIL_USE_SSL", "MAIL_USE_TLS"])
def test_mail_goes_over_tls_to_a_server_with_a_valid_certificate(
    app, certificate_authority, setting
):
    certificate = certificate_authority.issue_cert("127.0.0.1")
    with tls_mail_server(app, setting, certificate) as box:
        assert send_test_message(app)
    assert box.last()["Subject"] == "Hello there"


@pytest.mark.parametrize("setting", ["MAIL_USE_SSL", "MAIL_USE_TLS"])
def test_a_certificate_for_another_host_is_a_logged_failure(
    app, certificate_authority, caplog, setting
):
    """Encryption to a server that can't prove it is MAIL_SERVER would protect nothing."""
    certificate = certificate_authority.issue_cert("mail.example.com")
    with tls_mail_server(app, setting, certificate) as box:
        assert not send_test_message(app)
    assert box.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
