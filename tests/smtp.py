"""A real SMTP server in the test process (aiosmtpd), keeping what it receives for tests to read."""

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


class Mailbox:
    """aiosmtpd handler: every delivered message, parsed, in order of arrival.

    ``site_url`` is the app's ``SITE_URL``, which every link in a message must start with.
    """

    def __init__(self, site_url: str = ""):
        self.site_url = site_url
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server, _session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def last(self) -> EmailMessage:
        """The newest message; fails the test if none arrived."""
        assert self.messages, "no email was delivered"
        return self.messages[-1]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text part."""
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message: EmailMessage) -> str:
        """The HTML part."""
        return message.get_body(("html",)).get_content()

    def link(self, message: EmailMessage | None = None) -> str:
        """The one link in a message's text part, as a path on this site (it must be on
        ``site_url``)."""
        message = message or self.last()
        links = LINK.findall(self.text(message))
        assert len(links) == 1, f"expected one link, found {links}"
        assert links[0].startswith(f"{self.site_url}/"), f"{links[0]} is not on {self.site_url}"
        return links[0].removeprefix(self.site_url)


class LoopbackSMTP(Controller):
    """Listens on 127.0.0.1 on a free port (``port=0``), found once the server is up.

    ``ssl_context`` makes it speak TLS from the first byte; ``tls_context`` offers STARTTLS.
    """

    def __init__(self, handler, ssl_context=None, tls_context=None):
        smtp_options = {"tls_context": tls_context, "require_starttls": True} if tls_context else {}
        super().__init__(
            handler, hostname="127.0.0.1", port=0, ssl_context=ssl_context, **smtp_options
        )

    def _trigger_server(self):
        # The base class connects to self.port to check the server answers: learn it first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
