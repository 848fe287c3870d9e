"""Rate limits on logging in, registering, posting, following and reporting (on per test)."""

import pytest
import sqlalchemy as sa
from limits import parse_many

from app.extensions import limiter
from app.models import Post, Report, User
from app.web.ratelimits import describe_wait
from config import Config
from tests.helpers import PASSWORD, FormClient, refused_form_page


def assert_429_page(response) -> None:
    """A 429 in the site's layout that says when to come back (within the minute)."""
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert "Chirp" in page
    assert "too often" in page


@pytest.mark.rate_limits
def test_login_is_limited_per_address(app, client, alice):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    for _ in range(3):
        response = client.submit("/auth/login", {"username": "alice", "password": "wrong guess"})
        assert response.status_code == 200
    response = client.submit("/auth/login", {"username": "alice", "password": PASSWORD})
    # The login form again, the name still in it.
    refused_form_page(response, "Too many attempts to log in", 'value="alice"', max_wait=60)
    assert client.get("/").status_code == 302  # the right password did not get through
    assert client.get("/auth/login").status_code == 200  # reading the page is not counted
    elsewhere = FormClient(app.test_client())
    response = elsewhere.submit(
        "/auth/login",
        {"username": "alice", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302


@pytest.mark.rate_limits
def test_registration_is_limited(app, db):
    app.config["RATELIMIT_REGISTER"] = "2 per hour"
    for name in ("carol", "dave"):
        client = FormClient(app.test_client())  # registering logs a browser in: a new one each
        data = {
            "username": name,
            "email": f"{name}@example.com",
            "password": "a long password",
            "password2": "a long password",
        }
        assert client.submit("/auth/register", data).status_code == 302
    data = {**data, "username": "erin", "email": "erin@example.com"}
    response = FormClient(app.test_client()).submit("/auth/register", data)
    kept = ('value="erin"', 'value="erin@example.com"')
    refused_form_page(response, "Too many accounts were made from here", *kept)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


@pytest.mark.rate_limits
def test_posting_too_often_keeps_the_text(app, alice_client, db):
    app.config["RATELIMIT_POST"] = "2 per minute"
    for n in range(2):
        assert alice_client.submit("/", {"post": f"post {n}"}).status_code == 302
    response = alice_client.submit("/", {"post": "the one that waits"})
    page = refused_form_page(
        response, "You are posting too often", "the one that waits</textarea>", max_wait=60
    )
    assert "post 1" in page  # still the whole home page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 2


@pytest.mark.rate_limits
def test_reading_a_limited_page_does_not_consult_the_limiter(app, alice_client, monkeypatch):
    """Only POSTs count, so a GET of a page whose form is limited (home) skips Flask-Limiter
    altogether; its POST is still counted and refused."""
    app.config["RATELIMIT_POST"] = "1 per minute"
    checks, check = [], limiter._check_request_limit

    def counting(*args, **kwargs):
        checks.append(kwargs.get("callable_name"))
        return check(*args, **kwargs)

    monkeypatch.setattr(limiter, "_check_request_limit", counting)
    for _ in range(3):
        assert alice_client.get("/").status_code == 200
    assert [name for name in checks if name and name.endswith(".index")] == []
    assert alice_client.submit("/", {"post": "once"}).status_code == 302
    assert alice_client.submit("/", {"post": "twice"}).status_code == 429
    assert any(name and name.endswith(".index") for name in checks)


@pytest.mark.rate_limits
def test_posting_limit_is_per_user(app, client, alice, bob, login):
    app.config["RATELIMIT_POST"] = "1 per minute"
    login("alice")
    assert client.submit("/", {"post": "alice writes"}).status_code == 302
    assert client.submit("/", {"post": "alice again"}).status_code == 429
    client.submit("/auth/logout", page="/")
    login("bob")  # same address, different user
    assert client.submit("/", {"post": "bob writes"}).status_code == 302


@pytest.mark.rate_limits
def test_follow_and_unfollow_share_one_limit(app, alice_client, alice, bob):
    app.config["RATELIMIT_FOLLOW"] = "2 per minute"
    assert alice_client.submit("/follow/bob", page="/user/bob").status_code == 302
    assert alice_client.submit("/unfollow/bob", page="/user/bob").status_code == 302
    assert_429_page(alice_client.submit("/follow/bob", page="/user/bob"))
    assert not alice.is_following(bob)


@pytest.mark.rate_limits
def test_reporting_too_often_keeps_the_reason(app, alice_client, bob, make_post, db):
    """Reports fill the moderators' queue, so a flood of them is refused politely."""
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    posts = [make_post(bob, f"post {n}") for n in range(3)]
    for post in posts[:2]:
        response = alice_client.submit(f"/post/{post.id}/report", {"reason": "spam"})
        assert response.status_code == 302
    response = alice_client.submit(f"/post/{posts[2].id}/report", {"reason": "more spam, sorry"})
    page = refused_form_page(
        response, "You are sending many reports", "more spam, sorry</textarea>"
    )
    assert "post 2" in page  # the post being reported is still shown
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 2


@pytest.mark.rate_limits
@pytest.mark.parametrize("run", [1, 2])
def test_counts_start_from_zero_in_every_test(app, client, run):
    """Run twice: the second run would start at the limit if counts leaked between tests."""
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    statuses = [
        client.submit("/auth/login", {"username": "nobody", "password": "x"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    "setting",
    [
        "RATELIMIT_LOGIN",
        "RATELIMIT_REGISTER",
        "RATELIMIT_PASSWORD_RESET",
        "RATELIMIT_POST",
        "RATELIMIT_FOLLOW",
        "RATELIMIT_REPORT",
    ],
)
def test_default_limits_are_valid(setting):
    assert parse_many(getattr(Config, setting))


def test_limits_are_off_in_tests_unless_turned_on(app, client):
    app.config["RATELIMIT_LOGIN"] = "1 per minute"
    for _ in range(3):
        response = client.submit("/auth/login", {"username": "nobody", "password": "x"})
        assert response.status_code == 200


def test_a_shared_redis_store_can_be_configured():
    """RATELIMIT_STORAGE_URI=redis://... needs the redis client; no server is contacted yet."""
    from limits.storage import RedisStorage, storage_from_string

    assert isinstance(storage_from_string("redis://127.0.0.1:6379"), RedisStorage)


@pytest.mark.rate_limits
def test_only_refusals_carry_retry_after(alice_client):
    response = alice_client.submit("/", {"post": "within the limit"})
    assert response.status_code == 302
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (42, "42 seconds"),
        (89, "89 seconds"),
        (180, "3 minutes"),
        (7200, "2 hours"),
    ],
)
def test_waits_are_said_in_words(seconds, words):
    assert describe_wait(seconds) == words
