"""Request bodies over ``MAX_CONTENT_LENGTH`` are refused with a 413, however they are framed.

Werkzeug refuses a ``Content-Length`` over the limit before reading anything. A body sent with
``Transfer-Encoding: chunked`` has no length up front, and Werkzeug only stops reading it at the
limit: the form is parsed from the first 64 KiB and the rest is silently dropped, so a 1 MB
post went through as whatever fitted. :class:`WholeBodyRequest` reads such a body itself, one
byte past the limit at most, and answers 413 when that byte exists.
"""

from io import BytesIO
from typing import IO

from flask import Request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property

READ_SIZE = 64 * 1024


class WholeBodyRequest(Request):
    """A request whose body is read whole or refused with a 413, never cut short."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, as Werkzeug gives it, except that a streamed body (no ``Content-Length``)
        is read into memory up front, and refused if it is longer than ``MAX_CONTENT_LENGTH``.

        Only when the server says it ends the stream (``wsgi.input_terminated``: gunicorn, and
        Werkzeug's server for chunked bodies) is there anything to read; without that Werkzeug
        gives an empty body, which is safe and kept.
        """
        limit = self.max_content_length
        if (
            self.content_length is not None
            or limit is None
            or not self.environ.get("wsgi.input_terminated")
        ):
            return super().stream
        body = read_at_most(self.environ["wsgi.input"], limit + 1)
        if len(body) > limit:
            raise RequestEntityTooLarge()
        return BytesIO(body)


def read_at_most(stream: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes of ``stream``: fewer only at its end.

    A stream that fails while being read gives a 400: the client hung up, or framed the body
    wrongly. Servers report a broken chunk their own way (Werkzeug's with ``OSError``,
    gunicorn's with exceptions of its own that are not), and any of them left to rise would
    be a 500 for bad input.
    """
    parts = []
    left = size
    while left > 0:
        try:
            data = stream.read(min(left, READ_SIZE))
        except Exception as error:  # the server's own exception for a badly framed body
            raise BadRequest("The request body was cut short or badly framed.") from error
        if not data:
            break
        parts.append(data)
        left -= len(data)
    return b"".join(parts)
