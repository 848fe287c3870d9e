"""What users type renders as text everywhere: in elements, attributes and page titles."""

import re
from pathlib import Path

import pytest

import app as app_package

SCRIPT = '<script>alert("pwned")</script>'
ATTRIBUTE_BREAKOUT = "\"><img src=x onerror=alert(1)> ' onmouseover='alert(2)"
RTL_OVERRIDE = "\u202egnp.exe"  # shows as "exe.png" if the override leaks
LONG_WORD = "w" * 140
CSS = Path(app_package.__file__).parent / "static" / "css" / "chirp.css"


def assert_inert(page: str) -> None:
    """None of the hostile markup survived as markup."""
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "' onmouseover='" not in page


@pytest.mark.parametrize("url", ["/", "/explore", "/user/alice"])
def test_post_bodies_are_escaped(alice_client, alice, make_post, url):
    make_post(alice, SCRIPT)
    make_post(alice, ATTRIBUTE_BREAKOUT)
    page = alice_client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; &#39; onmouseover=&#39;alert(2)" in page
    assert_inert(page)


def test_posting_hostile_text_stores_it_verbatim(alice_client, db):
    from app.models import Post

    alice_client.submit("/", {"post": SCRIPT})
    assert db.session.scalar(Post.__table__.select().with_only_columns(Post.body)) == SCRIPT


@pytest.mark.parametrize("url", ["/user/alice", "/edit_profile"])
def test_about_me_is_escaped(alice_client, alice, db, url):
    alice.about_me = ATTRIBUTE_BREAKOUT
    db.session.commit()
    page = alice_client.get(url).get_data(as_text=True)
    assert "&#34;&gt;&lt;img src=x" in page
    assert_inert(page)


@pytest.mark.parametrize("field", ["username", "password"])
def test_login_form_keeps_typed_text_inside_the_attribute(client, field):
    typed = '" autofocus onfocus="alert(1)'
    data = {"username": "someone", "password": "pw", field: typed}
    page = client.submit("/auth/login", data).get_data(as_text=True)
    assert 'onfocus="alert(1)' not in page
    if field == "username":
        assert 'value="&#34; autofocus onfocus=&#34;alert(1)"' in page


def test_registration_form_escapes_kept_values(client):
    data = {
        "username": SCRIPT,
        "email": ATTRIBUTE_BREAKOUT,
        "password": "a long password",
        "password2": "a long password",
    }
    page = client.submit("/auth/register", data).get_data(as_text=True)
    assert "Usernames are 3 to 32 letters" in page
    assert_inert(page)


def test_unknown_username_in_the_url_is_escaped(alice_client):
    response = alice_client.get("/user/%3Cimg%20src=x%20onerror=alert(1)%3E")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "There is no user called &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def test_usernames_cannot_carry_markup_or_direction_controls(client):
    for name in (SCRIPT, "\u202eadmin", 'bob"x'):
        data = {
            "username": name,
            "email": "x@example.com",
            "password": "a long password",
            "password2": "a long password",
        }
        page = client.submit("/auth/register", data).get_data(as_text=True)
        assert "Usernames are 3 to 32 letters" in page


@pytest.mark.parametrize("url", ["/", "/explore", "/user/alice"])
def test_right_to_left_override_stays_inside_its_post(alice_client, alice, make_post, url):
    """Each post body is its own bidi-isolated block (dir=auto), so an override cannot
    reverse the text around it."""
    make_post(alice, RTL_OVERRIDE)
    page = alice_client.get(url).get_data(as_text=True)
    assert f'<p class="post-body" dir="auto">{RTL_OVERRIDE}</p>' in page


def test_right_to_left_override_stays_inside_about_me(alice_client, alice, db):
    alice.about_me = RTL_OVERRIDE
    db.session.commit()
    page = alice_client.get("/user/alice").get_data(as_text=True)
    assert f'<p class="about" dir="auto">{RTL_OVERRIDE}</p>' in page


def css_rules() -> dict[str, str]:
    """Selector -> declarations of every rule in the site's stylesheet."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.DOTALL)
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        for selector in selectors.split(","):
            rules[selector.strip()] = rules.get(selector.strip(), "") + body
    return rules


@pytest.mark.parametrize("selector", ["main p", "main li", "h1", ".button"])
def test_long_words_wrap(selector):
    """A 140-letter word must wrap instead of widening the page: post bodies, profiles, error
    pages and flashes are paragraphs in <main> (tests/e2e checks the pages in a browser)."""
    declarations = css_rules()[selector].replace(" ", "")
    assert "overflow-wrap:anywhere" in declarations or "word-break:break-word" in declarations


def test_long_words_render_in_wrapping_elements(alice_client, alice, make_post):
    make_post(alice, LONG_WORD)
    page = alice_client.get("/user/alice").get_data(as_text=True)
    assert f'<p class="post-body" dir="auto">{LONG_WORD}</p>' in page


def test_page_titles_are_escaped(app):
    """Titles come from the view (usernames today); the layout must escape whatever they hold."""
    from flask import render_template

    with app.test_request_context("/"):
        page = render_template("errors/error.html", title=SCRIPT, code=400, name="x", message="y")
    assert "<title>&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; · Chirp</title>" in page
