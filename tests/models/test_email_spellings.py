"""One address, two spellings: a domain typed in Unicode and in its ``xn--`` (IDNA) form is the
same address for registration, login, password reset and email change, and is stored once."""

import pytest
import sqlalchemy as sa

from app.models import User, user_by_username
from tests.helpers import PASSWORD, FormClient

UNICODE = "carol@bücher.example"
ASCII = "carol@xn--bcher-kva.example"
BOTH_WAYS = pytest.mark.parametrize(
    ("first", "second"), [(UNICODE, ASCII), (ASCII, UNICODE)], ids=["unicode", "ascii"]
)


def register(client, email: str, username: str = "carol"):
    data = {"username": username, "email": email, "password": PASSWORD, "password2": PASSWORD}
    return client.submit("/auth/register", data)


def store_as_typed(db, username: str, email: str) -> None:
    """An account made before addresses were normalised: its address as it was typed."""
    db.session.execute(sa.update(User).where(User.username == username).values(email=email))
    db.session.commit()


@BOTH_WAYS
def test_an_address_is_stored_in_one_spelling(client, db, first, second):
    assert register(client, first).status_code == 302
    assert user_by_username("carol").email == ASCII


@BOTH_WAYS
@pytest.mark.parametrize("old", [False, True], ids=["new", "old account"])
def test_the_other_spelling_is_already_registered(app, client, db, first, second, old):
    register(client, first)  # which logs this client in: the second try comes from another
    if old:
        store_as_typed(db, "carol", first)
    response = register(FormClient(app.test_client()), second.upper(), "carol2")
    assert response.status_code == 200
    assert "That email address is already registered." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


@BOTH_WAYS
@pytest.mark.parametrize("old", [False, True], ids=["new", "old account"])
def test_either_spelling_logs_in(client, db, make_user, first, second, old):
    make_user("carol", email=first)
    if old:
        store_as_typed(db, "carol", first)
    response = client.submit("/auth/login", {"username": second, "password": PASSWORD})
    assert response.headers["Location"] == "/"


@BOTH_WAYS
@pytest.mark.parametrize("old", [False, True], ids=["new", "old account"])
def test_either_spelling_gets_the_reset_link(client, db, make_user, mailbox, first, second, old):
    make_user("carol", email=first)
    if old:
        store_as_typed(db, "carol", first)
    client.submit("/account/reset-password", {"email": second})
    message = mailbox.last()
    assert message["Subject"] == "Reset your Chirp password"
    assert message["X-Envelope-To"] == ASCII  # a spelling every mail server takes
    client.submit(
        mailbox.link(message), {"password": "a new password", "password2": "a new password"}
    )
    db.session.expire_all()
    assert user_by_username("carol").check_password("a new password")


@BOTH_WAYS
def test_the_other_spelling_is_not_a_new_address(client, make_user, login, first, second):
    make_user("carol", email=first)
    login("carol")
    response = client.submit("/account/email", {"email": second, "password": PASSWORD})
    assert "That is already your address." in response.get_data(as_text=True)


@BOTH_WAYS
def test_moving_to_another_accounts_address_in_the_other_spelling_is_refused(
    client, make_user, login, first, second
):
    make_user("carol", email=first)
    make_user("dave")
    login("dave")
    response = client.submit("/account/email", {"email": second, "password": PASSWORD})
    assert "That email address is already registered." in response.get_data(as_text=True)


@pytest.mark.rate_limits
def test_both_spellings_count_towards_the_reset_limit_of_one_address(app, client, mailbox):
    # Asked from different places, so only the per-address count can refuse the third.
    app.config["RATELIMIT_PASSWORD_RESET"] = "2 per hour"
    statuses = [
        client.submit(
            "/account/reset-password", {"email": email}, environ_base={"REMOTE_ADDR": ip}
        ).status_code
        for email, ip in [(UNICODE, "10.0.0.1"), (ASCII, "10.0.0.2"), (UNICODE, "10.0.0.3")]
    ]
    assert statuses == [302, 302, 429]
    assert len(mailbox.messages) == 2
