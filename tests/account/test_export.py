"""Downloading one's data as JSON, streamed in batches."""

import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.models import Like, Post, UserSession, followers
from tests.helpers import PASSWORD, FormClient

START = datetime(2025, 1, 1, tzinfo=UTC)


def add_posts(db, user, count: int) -> None:
    """``count`` posts by ``user``, one second apart, inserted 500 at a time.

    One transaction each 500: each post's triggers update the author's rows of counts and
    feed, and on PostgreSQL every update in one transaction leaves a version of the row that
    the next one walks past (20,000 posts at once took 58 s, 2.9 ms a post).
    """
    for start in range(0, count, 500):
        rows = [
            {
                "body": f"post {n} «ü»",
                "timestamp": START + timedelta(seconds=n),
                "user_id": user.id,
            }
            for n in range(start, min(start + 500, count))
        ]
        db.session.execute(sa.insert(Post), rows)
        db.session.commit()


def day(n: int) -> datetime:
    """Midnight UTC ``n`` days after START."""
    return START + timedelta(days=n)


def follow_on_day(db, follower, followed, n: int) -> None:
    """``follower`` follows ``followed``, dated ``day(n)``."""
    follower.follow(followed)
    db.session.flush()
    db.session.execute(
        sa.update(followers)
        .where(followers.c.follower_id == follower.id, followers.c.followed_id == followed.id)
        .values(created_at=day(n))
    )
    db.session.commit()


def test_export_is_complete_json(alice_client, alice, bob, make_user, db, make_post):
    carol = make_user("carol")
    alice.about_me = "I <3 birds"
    for follower, followed, when in [(alice, bob, 3), (carol, alice, 1), (bob, alice, 2)]:
        follow_on_day(db, follower, followed, when)
    add_posts(db, alice, 5)
    make_post(bob, "not alice's")

    response = alice_client.get("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="chirp-alice.json"'
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))

    assert data["format"] == "chirp-export/5"
    assert data["profile"]["username"] == "alice"
    assert data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["about_me"] == "I <3 birds"
    assert datetime.fromisoformat(data["profile"]["created_at"]) == alice.created_at
    # Newest follow first, each with the day it began.
    assert data["following"] == [{"username": "bob", "since": day(3).isoformat()}]
    assert data["followers"] == [
        {"username": "bob", "since": day(2).isoformat()},
        {"username": "carol", "since": day(1).isoformat()},
    ]
    assert [post["body"] for post in data["posts"]] == [f"post {n} «ü»" for n in range(5)]
    assert datetime.fromisoformat(data["posts"][0]["timestamp"]) == START


def test_export_says_which_posts_were_edited_or_hidden(
    alice_client, alice, make_user, make_post, db
):
    moderator = make_user("mod")
    plain, edited, hidden = (make_post(alice, text) for text in ("plain", "first", "rude"))
    edited.edit("second")
    hidden.hide(moderator)
    db.session.commit()

    posts = json.loads(alice_client.get("/account/export").get_data(as_text=True))["posts"]

    by_id = {post["id"]: post for post in posts}
    assert by_id[plain.id]["edited_at"] is None
    assert by_id[plain.id]["hidden_at"] is None
    assert by_id[edited.id]["body"] == "second"
    assert datetime.fromisoformat(by_id[edited.id]["edited_at"]) == edited.edited_at
    assert datetime.fromisoformat(by_id[hidden.id]["hidden_at"]) == hidden.hidden_at
    assert by_id[hidden.id]["body"] == "rude"  # the author keeps their own words


def test_export_of_a_new_account_has_empty_lists(alice_client):
    data = json.loads(alice_client.get("/account/export").get_data(as_text=True))
    assert (data["following"], data["followers"], data["posts"], data["likes"]) == ([], [], [], [])


def test_export_streams_in_batches(app, alice_client, alice, db):
    """Posts come out one batch per chunk, so the export never holds them all at once."""
    app.config["EXPORT_BATCH_SIZE"] = 7
    add_posts(db, alice, 100)
    response = alice_client.get("/account/export", buffered=False)
    assert response.is_streamed
    chunks = [chunk.decode() for chunk in response.response]
    response.close()
    post_chunks = [chunk for chunk in chunks if '"body"' in chunk]
    assert len(post_chunks) == 15  # ceil(100 / 7)
    assert all(chunk.count('"body"') <= 7 for chunk in post_chunks)
    data = json.loads("".join(chunks))
    assert [post["body"] for post in data["posts"]] == [f"post {n} «ü»" for n in range(100)]


def test_export_of_many_posts(alice_client, alice, db):
    add_posts(db, alice, 5000)
    data = json.loads(alice_client.get("/account/export").get_data(as_text=True))
    assert len(data["posts"]) == 5000
    assert len({post["id"] for post in data["posts"]}) == 5000


def test_export_needs_login(client):
    assert client.get("/account/export").headers["Location"].startswith("/auth/login")


def streaming_peak_memory(client) -> tuple[int, int]:
    """(bytes exported, peak Python memory while streaming the export chunk by chunk)."""
    tracemalloc.start()
    try:
        response = client.get("/account/export", buffered=False)
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_the_number_of_posts(app, alice_client, alice, db):
    """Twenty times the posts, not more memory: rows are never all held at once.

    (Reading every row first would peak at several times the export's size.)
    """
    app.config["EXPORT_BATCH_SIZE"] = 100
    add_posts(db, alice, 1000)
    small_size, small_peak = streaming_peak_memory(alice_client)
    add_posts(db, alice, 19000)
    large_size, large_peak = streaming_peak_memory(alice_client)
    assert large_size > 15 * small_size
    assert large_peak < 2 * small_peak
    assert large_peak < large_size / 4


def test_export_lists_where_one_is_logged_in_without_secrets(app, alice_client, alice, db):
    phone = FormClient(app.test_client())
    phone.environ_base.update(HTTP_USER_AGENT="Phone browser/1.0", REMOTE_ADDR="2001:db8::7")
    data = {"username": "alice", "password": PASSWORD, "remember_me": "y"}
    assert phone.submit("/auth/login", data).status_code == 302
    with phone.session_transaction() as session:
        secret = session["_user_id"].partition(":")[2]
    hashes = db.session.scalars(sa.select(UserSession.secret_hash)).all()

    text = alice_client.get("/account/export").get_data(as_text=True)
    data = json.loads(text)

    db.session.refresh(alice)
    assert datetime.fromisoformat(data["profile"]["last_login_at"]) == alice.last_login_at
    sessions = sorted(data["sessions"], key=lambda s: s["remember_me"])
    assert [(s["remember_me"], s["ip_address"], s["user_agent"]) for s in sessions] == [
        (False, "127.0.0.1", alice_client.environ_base.get("HTTP_USER_AGENT")),
        (True, "2001:db8::7", "Phone browser/1.0"),
    ]
    assert set(sessions[0]) == {
        "logged_in_at",
        "last_active_at",
        "expires_at",
        "remember_me",
        "ip_address",
        "user_agent",
    }
    assert len(hashes) == 2
    for kept_secret in (secret, *hashes):
        assert kept_secret not in text


def test_export_includes_replies_with_what_they_answer(
    alice_client, alice, bob, make_post, make_reply, db
):
    root = make_post(bob, "bob asks")
    reply = make_reply(root, alice, "alice answers")
    own = make_post(alice, "alice alone")
    posts = json.loads(alice_client.get("/account/export").get_data(as_text=True))["posts"]
    by_id = {post["id"]: post for post in posts}
    assert by_id[reply.id]["in_reply_to"] == {"id": root.id, "username": "bob"}
    assert by_id[own.id]["in_reply_to"] is None
    root_id, reply_id = root.id, reply.id
    db.session.delete(bob)  # the answered account goes; the reply stays, and says so
    db.session.commit()
    posts = json.loads(alice_client.get("/account/export").get_data(as_text=True))["posts"]
    assert {post["id"]: post for post in posts}[reply_id]["in_reply_to"] == {
        "id": root_id,
        "username": None,
    }


def test_export_lists_ones_likes_oldest_first(alice_client, alice, bob, make_post, db):
    """Version 5: the posts one liked, by id and author (their text is their author's)."""
    older, newer, own = make_post(bob, "bob's words"), make_post(bob, "more"), make_post(alice)
    for n, post in enumerate((newer, own, older)):
        db.session.add(Like(user_id=alice.id, post_id=post.id, created_at=day(n)))
    db.session.add(Like(user_id=bob.id, post_id=own.id, created_at=day(9)))  # not alice's
    db.session.commit()
    data = json.loads(alice_client.get("/account/export").get_data(as_text=True))
    assert data["likes"] == [
        {"post_id": newer.id, "username": "bob", "liked_at": day(0).isoformat()},
        {"post_id": own.id, "username": "alice", "liked_at": day(1).isoformat()},
        {"post_id": older.id, "username": "bob", "liked_at": day(2).isoformat()},
    ]
    assert "bob's words" not in json.dumps(data["likes"])
