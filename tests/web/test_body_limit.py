"""Request bodies over MAX_CONTENT_LENGTH (64 KiB) get the site's 413 page however they are
framed (issue 15, finding 6).

A ``Transfer-Encoding: chunked`` body has no length up front, and what happens to it depends on
the server that de-chunks it, so it is sent for real: to Werkzeug's server in a thread and to
gunicorn (production settings, as bench/ runs it), as well as through the test client.
"""

import contextlib
import http.client
import socket
import threading
from collections.abc import Iterator
from io import BytesIO
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Post, User
from app.models.types import utcnow
from bench.load import gunicorn
from tests.helpers import PASSWORD, csrf_token_from

FORM = "application/x-www-form-urlencoded"
LIMIT = 64 * 1024
MEGABYTE = 1_000_000


def post_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Post))


def post_body(token: str, text: str, padding: int = 0) -> bytes:
    """A post form whose ``post`` field comes first, then ``padding`` bytes of another field:
    cut anywhere past the start, it is still a valid post."""
    return urlencode({"csrf_token": token, "post": text}).encode() + b"&pad=" + b"x" * padding


def chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# The test client: a chunked body as a server that de-chunks it (gunicorn) hands it over.


def send_to_test_client(client, body: bytes, chunked: bool):
    if not chunked:
        return client.post("/", data=body, content_type=FORM)
    return client.post(
        "/",
        input_stream=BytesIO(body),
        content_type=FORM,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_body_gets_413_however_framed(alice_client, db, chunked):
    token = csrf_token_from(alice_client.get("/").get_data(as_text=True))
    response = send_to_test_client(alice_client, post_body(token, "hello", MEGABYTE), chunked)
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)
    assert post_count() == 0


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_at_the_limit_is_read_whole(alice_client, db, chunked):
    token = csrf_token_from(alice_client.get("/").get_data(as_text=True))
    body = post_body(token, "just fits")
    body += b"x" * (LIMIT - len(body))
    assert len(body) == LIMIT
    response = send_to_test_client(alice_client, body, chunked)
    assert response.status_code == 302
    assert post_count() == 1
    over = send_to_test_client(alice_client, body + b"x", chunked)
    assert over.status_code == 413
    assert post_count() == 1


# Real servers, over real sockets.


class HttpBrowser:
    """An HTTP/1.1 client that keeps cookies, for a server in another thread or process."""

    def __init__(self, base_url: str):
        address = urlsplit(base_url)
        self.host, self.port = address.hostname, address.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        """Send a request (a body that is an iterator goes chunked); the status and page."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        chunked = body is not None and not isinstance(body, bytes | str)
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            # The server may refuse the body and close before all of it is sent (a race on a
            # busy machine): its answer came first, and is read as a browser would.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, path, body=body, headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            page = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, page

    def log_in(self, username: str) -> None:
        _, page = self.request("GET", "/auth/login")
        form = {"csrf_token": csrf_token_from(page), "username": username, "password": PASSWORD}
        status, _ = self.request(
            "POST", "/auth/login", urlencode(form), headers={"Content-Type": FORM}
        )
        assert status == 302, "login failed"

    def post(self, body, headers: dict | None = None):
        return self.request("POST", "/", body, headers={"Content-Type": FORM, **(headers or {})})

    def token(self) -> str:
        return csrf_token_from(self.request("GET", "/")[1])


def add_alice() -> None:
    """alice, confirmed (so she may post), in the database the servers share."""
    user = User(username="alice", email="alice@example.com", email_confirmed_at=utcnow())
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()


@pytest.fixture
def werkzeug_server(shared_app, shared_db) -> Iterator[str]:
    """Base URL of Werkzeug's own server running the app in a thread (as tests/e2e does)."""
    add_alice()
    server = make_server("127.0.0.1", 0, shared_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_a_chunked_megabyte_gets_413_from_werkzeug_s_server(werkzeug_server):
    """Once: a 302 and a stored post, the rest of the body silently dropped."""
    browser = HttpBrowser(werkzeug_server)
    browser.log_in("alice")
    status, page = browser.post(chunks(post_body(browser.token(), "hello", MEGABYTE)))
    assert status == 413
    assert "What you sent is too large." in page
    assert post_count() == 0
    status, _ = browser.post(chunks(post_body(browser.token(), "small and chunked", 1000)))
    assert status == 302
    assert post_count() == 1


def send_raw(base_url: str, request: bytes) -> bytes:
    """Send ``request`` as it is over a new connection; whatever the server answers."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    return answer


BROKEN_CHUNKS = [b"zz\r\nhello\r\n0\r\n\r\n", b"3\r\nabcdef\r\n0\r\n\r\n", b"5\r\nhel"]


def test_gunicorn_refuses_an_oversized_chunked_body_and_a_broken_one(shared_app, shared_db):
    """The production path: gunicorn de-chunks the body itself. A chunked megabyte was a 302
    and a stored post; a badly framed chunk was a 500."""
    add_alice()
    with gunicorn(shared_app.config["SQLALCHEMY_DATABASE_URI"], workers=1) as base_url:
        browser = HttpBrowser(base_url)
        browser.log_in("alice")
        status, page = browser.post(chunks(post_body(browser.token(), "hello", MEGABYTE)))
        assert status == 413
        assert "What you sent is too large." in page
        status, _ = browser.post(post_body(browser.token(), "hello", MEGABYTE))
        assert status == 413
        assert post_count() == 0
        status, _ = browser.post(chunks(post_body(browser.token(), "small and chunked", 1000)))
        assert status == 302
        assert post_count() == 1

        head = (
            b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for broken in BROKEN_CHUNKS:
            answer = send_raw(base_url, head + broken)
            assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
            assert b"The request body was cut short or badly framed." in answer
