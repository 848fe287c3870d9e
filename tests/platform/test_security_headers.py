"""Every response carries the security headers, and no page needs inline script or style."""

import re
from pathlib import Path

import pytest

import app as app_package
from app import create_app
from tests.helpers import TestConfig, assert_secure_headers

TEMPLATES = sorted(Path(app_package.__file__).parent.rglob("templates/**/*.html"))
# Inline code the Content-Security-Policy would block: <script> without src, <style>, style="",
# onclick="" and the like, javascript: URLs.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/auth/login", 200),
        ("/", 302),
        ("/no/such/page", 404),
        ("/auth/logout", 405),
        ("/static/css/chirp.css", 200),
        ("/static/js/chirp.js", 200),
        ("/avatar/1/48.svg", 200),
    ],
)
def test_headers_on_anonymous_responses(client, url, status):
    response = client.get(url)
    response.close()  # static files are streamed from an open file
    assert response.status_code == status
    assert_secure_headers(response)


@pytest.mark.parametrize("url", ["/", "/explore", "/user/alice", "/edit_profile"])
def test_headers_on_pages_of_a_logged_in_user(alice_client, url):
    assert_secure_headers(alice_client.get(url))


def test_headers_on_error_responses(app, client, alice, login):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    login("alice")
    responses = {
        500: client.get("/broken"),
        400: client.post("/", data={"post": "no token"}),
        413: client.post("/", data={"post": "x" * 100_000}),
    }
    for status, response in responses.items():
        assert response.status_code == status
        assert_secure_headers(response)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_templates_have_no_inline_code(template):
    """The policy forbids inline script and style: put them in app/static instead."""
    assert INLINE_CODE.findall(template.read_text()) == []


@pytest.mark.parametrize("url", ["/", "/explore", "/user/alice", "/edit_profile"])
def test_rendered_pages_have_no_inline_code(alice_client, make_post, alice, url):
    make_post(alice, "a post so that the post partial renders too")
    page = alice_client.get(url).get_data(as_text=True)
    assert INLINE_CODE.findall(page) == []


def test_https_responses_ask_browsers_to_keep_to_https(client):
    response = client.get("/auth/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_responses_carry_no_hsts(client):
    """Browsers ignore it over HTTP; a site still being set up must not promise HTTPS."""
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_hsts_can_be_turned_off(app, client):
    app.config["HSTS_MAX_AGE"] = 0
    response = client.get("/auth/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_behind_a_proxy_that_terminates_https():
    config = type("ProxiedConfig", (TestConfig,), {"PROXY_FIX_X_PROTO": 1, "HSTS_MAX_AGE": 600})
    client = create_app(config).test_client()
    response = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=600"
