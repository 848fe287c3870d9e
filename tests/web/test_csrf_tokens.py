"""A session's signed CSRF token is made at most once a minute per process
(app/web/csrf_tokens.py): pages a minute apart carry the same working token, a new login
a new one."""

import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from app.models import Post
from app.web.csrf_tokens import REUSE_SECONDS
from tests.helpers import csrf_token_from


@pytest.fixture
def clock(monkeypatch):
    """Seconds to add to the time itsdangerous signs with and the memos' clock."""
    offset = [0]
    monotonic, now = time.monotonic, time.time
    monkeypatch.setattr(time, "monotonic", lambda: monotonic() + offset[0])
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(now()) + offset[0])
    return offset


def token_of(client, url: str = "/") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_pages_within_a_minute_carry_the_same_working_token(alice_client, clock, db):
    # The page that first needs the session's secret makes it (and signs it); from the next
    # request on the signed token is kept.
    token_of(alice_client)
    first = token_of(alice_client)
    clock[0] += REUSE_SECONDS - 5  # signed again, the token would differ now
    again = token_of(alice_client, "/explore")
    assert again == first
    response = alice_client.post("/", data={"csrf_token": again, "post": "kept token"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Post.body)) == "kept token"


def test_a_minute_later_the_token_is_signed_again_and_both_work(alice_client, clock, db):
    token_of(alice_client)
    first = token_of(alice_client)
    clock[0] += REUSE_SECONDS + 5
    later = token_of(alice_client)
    assert later != first
    for n, token in enumerate((first, later)):
        response = alice_client.post("/", data={"csrf_token": token, "post": f"post {n}"})
        assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 2


def test_a_new_login_gets_a_new_token_and_the_old_one_stops_working(alice_client, login, clock, db):
    token_of(alice_client)
    old = token_of(alice_client)
    response = alice_client.post("/auth/logout", data={"csrf_token": old})
    assert response.status_code == 302
    login("alice")
    token_of(alice_client)
    new = token_of(alice_client)
    assert new != old
    refused = alice_client.post("/", data={"csrf_token": old, "post": "with the old token"})
    assert refused.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
