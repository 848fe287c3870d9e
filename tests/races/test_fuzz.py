"""Random text and random fields sent to every form and page: never a 500, never data loss.

The ``app`` fixture (and its database) is created once per test function, not once per
Hypothesis example, so the function-scoped-fixture health check is suppressed on purpose: the
checked properties hold whatever earlier examples left behind (more users, a renamed alice),
which only makes the input harsher. Each example uses a fresh client, so no session carries over.
"""

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Post
from tests.helpers import PASSWORD, FormClient

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Anything a browser can send: all of Unicode bar lone surrogates (not encodable as UTF-8),
# with extra weight on characters and strings that have broken web apps (NUL, markup, quotes,
# direction overrides, taken and reserved names), and well-formed names, so that valid
# submissions (new users, renames, posts) happen too.
HOSTILE_CHARACTERS = st.sampled_from(
    ["\x00", "\x1b", "\x7f", "\r", "\n", "<", ">", '"', "'", "&", "%", "\\", "\u202e", "\ufeff"]
)
HOSTILE_STRINGS = st.sampled_from(
    [
        "ali\x00ce",
        "<script>alert(1)</script>",
        '" autofocus onfocus="alert(1)',
        "\u202eadmin",
        "admin",
        "alice",
        "BOB",
        "alice@example.com",
        "   ",
        "x" * 200,
        "%00",
    ]
)
CHARACTERS = st.one_of(st.characters(exclude_categories=["Cs"]), HOSTILE_CHARACTERS)
TEXT = st.one_of(
    HOSTILE_STRINGS,
    st.from_regex(r"[A-Za-z0-9_]{3,32}", fullmatch=True),
    st.text(CHARACTERS, max_size=300),
)
FIELD_NAMES = st.text(CHARACTERS, min_size=1, max_size=20)
ALICES_POSTS = ["first!", "<script>alert(1)</script>", "line one\nline two"]
# where the form posts, the fields it has, whether it needs a login, the page that shows it
FORMS = {
    "register": ("/auth/register", ["username", "email", "password", "password2"], False, None),
    "login": ("/auth/login", ["username", "password", "remember_me"], False, None),
    "post": ("/", ["post"], True, None),
    "edit_profile": ("/edit_profile", ["username", "about_me"], True, None),
    "logout": ("/auth/logout", ["submit"], True, "/"),
    "reset_request": ("/account/reset-password", ["email"], False, None),
    "change_password": (
        "/account/password",
        ["current_password", "password", "password2"],
        True,
        None,
    ),
    "change_email": ("/account/email", ["email", "password"], True, None),
    "delete_account": ("/account/delete", ["password"], True, None),
}
OK_STATUSES = {200, 301, 302, 308, 400, 404, 405, 413, 429}


def form_data(fields: list[str]):
    """Some or all of ``fields`` with random values, plus a few random extra fields."""
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, TEXT))
    extra = st.dictionaries(FIELD_NAMES, TEXT, max_size=3)
    return st.tuples(known, extra).map(lambda parts: {**parts[1], **parts[0]})


@pytest.fixture
def alice_with_posts(alice, bob, make_post):
    """alice with a few posts that no request may lose."""
    for body in ALICES_POSTS:
        make_post(alice, body)
    return alice


def fresh_client(app, logged_in: bool) -> FormClient:
    """A client with no cookies, logged in as alice (by email: fuzzing may rename her)."""
    client = FormClient(app.test_client())
    if logged_in:
        response = client.submit(
            "/auth/login", {"username": "alice@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
    return client


def assert_alices_posts_intact(db, alice) -> None:
    db.session.expire_all()
    bodies = db.session.scalars(
        sa.select(Post.body).where(Post.user_id == alice.id).order_by(Post.id)
    ).all()
    assert bodies[: len(ALICES_POSTS)] == ALICES_POSTS


@pytest.mark.parametrize("form", list(FORMS))
def test_forms_survive_random_input(app, db, alice_with_posts, form):
    url, fields, logged_in, page = FORMS[form]

    @FUZZ
    @given(data=form_data(fields))
    def submit_random(data):
        client = fresh_client(app, logged_in)
        response = client.submit(url, data, page=page)
        assert response.status_code in OK_STATUSES, response.status_code
        assert_alices_posts_intact(db, alice_with_posts)

    submit_random()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_buttons_survive_random_names_and_fields(app, db, alice_with_posts, action):
    @FUZZ
    @given(name=st.one_of(st.sampled_from(["bob", "BOB", "alice"]), TEXT), data=form_data([]))
    def press(name, data):
        client = fresh_client(app, logged_in=True)
        response = client.submit(f"/{action}/{quote(name, safe='')}", data, page="/")
        assert response.status_code in OK_STATUSES, response.status_code
        assert_alices_posts_intact(db, alice_with_posts)

    press()


@FUZZ
@given(
    name=st.one_of(st.just("alice"), TEXT),
    page=st.sampled_from(["", "/followers", "/following"]),
    cursor=st.sampled_from(["after", "before"]),
    position=TEXT,
)
def test_pages_survive_random_names_and_cursors(
    app, alice_with_posts, name, page, cursor, position
):
    client = fresh_client(app, logged_in=True)
    url = f"/user/{quote(name, safe='')}{page}?{cursor}={quote(position, safe='')}"
    response = client.get(url)
    assert response.status_code in {200, 302, 308, 400, 404}, (url, response.status_code)


@FUZZ
@given(text=TEXT, cursor=st.sampled_from(["after", "before"]), position=TEXT)
def test_people_search_survives_random_text_and_cursors(
    app, alice_with_posts, text, cursor, position
):
    client = fresh_client(app, logged_in=True)
    url = f"/search?q={quote(text, safe='')}&{cursor}={quote(position, safe='')}"
    response = client.get(url)
    assert response.status_code in {200, 400}, (url, response.status_code)
