"""Error pages render in the site's layout with the right status."""

import pytest


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "404" in page
    assert "Chirp" in page


def test_405_keeps_allow_header(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "cannot be used that way" in response.get_data(as_text=True)


def test_413_for_oversized_body(alice_client):
    response = alice_client.post("/", data={"post": "x" * 100_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("code", [400, 403, 429])
def test_other_error_pages(app, client, code):
    from flask import abort

    app.add_url_rule(f"/raise/{code}", f"raise_{code}", lambda: abort(code))
    response = client.get(f"/raise/{code}")
    assert response.status_code == code
    assert f"{code} ·" in response.get_data(as_text=True)


def test_500_rolls_back_and_renders(app, client, db):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", "broken", broken)
    response = client.get("/broken")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
