"""The settings page, and the rate limits on emails the site sends for account actions."""

import pytest
import sqlalchemy as sa

from app.extensions import limiter
from app.models import User
from tests.helpers import PASSWORD, FormClient, refused_form_page


@pytest.fixture
def limits_on(app):
    """Rate limits switched on for this test (before the app serves its first request)."""
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    return app


def test_settings_are_linked_from_the_nav_and_the_profile(alice_client):
    assert 'href="/account/"' in alice_client.get("/").get_data(as_text=True)
    assert 'href="/account/"' in alice_client.get("/user/alice").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/account/", "/account/email", "/account/password"])
def test_the_nav_says_settings_on_every_settings_page(alice_client, url):
    page = alice_client.get(url).get_data(as_text=True)
    assert '<a href="/account/" aria-current="page">Settings</a>' in page
    assert page.count('aria-current="page"') == 1


def test_settings_page_links_every_account_action(alice_client):
    page = alice_client.get("/account/").get_data(as_text=True)
    assert "alice@example.com" in page
    assert "confirmed" in page
    for url in ["/account/email", "/account/password", "/edit_profile", "/account/export"]:
        assert f'href="{url}"' in page
    assert 'href="/account/delete"' in page
    assert "/account/resend-confirmation" not in page


def test_settings_page_of_an_unconfirmed_user_offers_a_resend(client, make_user, login):
    make_user("dave", confirmed=False)
    login("dave")
    page = client.get("/account/").get_data(as_text=True)
    assert "not confirmed yet" in page
    assert 'action="/account/resend-confirmation"' in page


@pytest.mark.parametrize(
    "url", ["/account/", "/account/email", "/account/password", "/account/delete"]
)
def test_account_pages_need_login(client, url):
    assert client.get(url).headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "url", ["/account/email", "/account/password", "/account/delete", "/account/"]
)
def test_account_pages_render(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 200
    assert "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/account/email", "/account/password", "/account/delete"])
def test_account_forms_offer_a_way_back_to_settings(alice_client, url):
    page = alice_client.get(url).get_data(as_text=True)
    actions = page[page.index('<div class="form-actions">') :]
    assert '<a href="/account/">Cancel</a>' in actions[: actions.index("</div>")]


def test_resending_the_confirmation_is_rate_limited(limits_on, client, make_user, login, mailbox):
    make_user("dave", confirmed=False)
    login("dave")
    for _ in range(3):
        assert client.submit("/account/resend-confirmation", {}, page="/").status_code == 302
    response = client.submit("/account/resend-confirmation", {}, page="/")
    assert response.status_code == 429
    assert "Too Many Requests" in response.get_data(as_text=True)
    assert len(mailbox.messages) == 3


def test_reset_requests_are_rate_limited_but_the_form_is_not(limits_on, client, alice, mailbox):
    for n in range(5):
        response = client.submit("/account/reset-password", {"email": f"someone{n}@example.com"})
        assert response.status_code == 302
    response = client.submit("/account/reset-password", {"email": "alice@example.com"})
    refused_form_page(response, "Too many reset links were asked for", 'value="alice@example.com"')
    assert len(mailbox.messages) == 5
    assert client.get("/account/reset-password").status_code == 200


def test_one_address_cannot_be_flooded_with_resets_from_many_clients(limits_on, alice, mailbox):
    for n in range(6):
        client = FormClient(limits_on.test_client())
        client.client.environ_base["REMOTE_ADDR"] = f"127.0.0.{n + 1}"
        response = client.submit("/account/reset-password", {"email": "alice@example.com"})
        assert response.status_code == (429 if n == 5 else 302)
    assert len(mailbox.messages) == 5


def test_email_changes_are_rate_limited(limits_on, alice_client, mailbox):
    for n in range(3):
        data = {"email": f"alice{n}@new.example", "password": PASSWORD}
        assert alice_client.submit("/account/email", data).status_code == 302
    data = {"email": "alice9@new.example", "password": PASSWORD}
    response = alice_client.submit("/account/email", data)
    refused_form_page(
        response, "You have asked for many address changes", 'value="alice9@new.example"'
    )
    assert len(mailbox.messages) == 3


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/account/password", {"current_password": PASSWORD, "password": "x" * 10}),
        ("/account/email", {"email": "alice@new.example", "password": PASSWORD}),
        ("/account/resend-confirmation", {}),
        ("/account/delete", {"password": PASSWORD}),
    ],
)
def test_account_changes_need_a_csrf_token(alice_client, alice, db, mailbox, url, data):
    response = alice_client.post(url, data=data)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert alice.check_password(PASSWORD)
    assert alice.email == "alice@example.com"
    assert mailbox.messages == []


def test_email_links_need_a_csrf_token_to_act(client, make_user, db, mailbox):
    make_user("dave", confirmed=False)
    client.submit("/auth/login", {"username": "dave", "password": PASSWORD})
    client.submit("/account/resend-confirmation", {}, page="/")
    assert client.post(mailbox.link(), data={}).status_code == 400
    db.session.expire_all()
    assert not db.session.scalar(sa.select(User).where(User.username == "dave")).is_confirmed
