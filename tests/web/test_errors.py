"""Error pages render in the site's layout with the right status."""

import pytest
import sqlalchemy as sa


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in page
    assert "<title>Page not found · Chirp</title>" in page
    # The number is still there for whoever reports the problem, just not as the heading.
    assert '<p class="error-code">Error 404 (Not Found)</p>' in page


def test_405_keeps_allow_header(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "cannot be used that way" in response.get_data(as_text=True)


def test_413_for_oversized_body(alice_client):
    response = alice_client.post("/", data={"post": "x" * 100_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_other_http_errors_are_pages_of_the_site_too(client):
    """Statuses without words of their own, like a static file's 416, still get the layout."""
    response = client.get("/static/favicon.svg", headers={"Range": "bytes=999999-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"].startswith("bytes */")
    page = response.get_data(as_text=True)
    assert "<h1>Requested Range Not Satisfiable</h1>" in page
    assert 'class="site-header"' in page
    assert "Go to the home page" in page


@pytest.mark.parametrize(
    ("code", "heading", "name"),
    [
        (400, "That did not work", "Bad Request"),
        (403, "Not allowed", "Forbidden"),
        (404, "Page not found", "Not Found"),
        (405, "Not possible here", "Method Not Allowed"),
        (413, "That is too much at once", "Request Entity Too Large"),
        (429, "Slow down a little", "Too Many Requests"),
    ],
)
def test_error_pages_speak_plainly(app, client, code, heading, name):
    """Every handled status gets a heading in words; the number is only a small footnote."""
    from flask import abort

    app.add_url_rule(f"/raise/{code}", f"raise_{code}", lambda: abort(code))
    response = client.get(f"/raise/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page
    assert f'<p class="error-code">Error {code} ({name})</p>' in page
    assert "Go to the home page" in page


def test_500_rolls_back_and_renders(app, client, db):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    response = client.get("/broken")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1>Something went wrong</h1>" in page
    assert "it has been logged" in page
    assert "Error 500 (Internal Server Error)" in page


def test_a_database_error_of_a_user_who_still_exists_is_a_500(
    app, alice_client, db, caplog, monkeypatch
):
    """Only a vanished account turns an integrity error into logging out; any other is a fault
    of ours: logged, apologised for, and the user stays logged in."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise sa.exc.IntegrityError("INSERT ...", {}, Exception("constraint failed"))

    monkeypatch.setitem(app.view_functions, "main.explore", broken)
    response = alice_client.get("/explore")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.get_data(as_text=True)
    assert "constraint failed" in caplog.text
    assert alice_client.get("/").status_code == 200
