"""A post's own page, and editing, deleting and reporting posts."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.models import POST_MAX_LENGTH, Post, Report, Tag, post_tag
from tests.helpers import csrf_token_from

EARLIER = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_permalink_page_and_link_from_timelines(alice_client, alice, make_post):
    post = make_post(alice, "a post worth linking", EARLIER)
    explore = alice_client.get("/explore").get_data(as_text=True)
    assert f'href="/post/{post.id}" class="post-permalink"' in explore
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "a post worth linking" in page
    assert ">1 March 2025, 09:30 UTC</time>" in page  # its full date


@pytest.mark.parametrize(
    "url", ["/post/999", "/post/999/edit", "/post/999/delete", "/post/999/report"]
)
def test_unknown_post_is_404(alice_client, url):
    response = alice_client.get(url)
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


def test_own_posts_offer_edit_and_delete_others_offer_report(alice_client, alice, bob, make_post):
    mine = make_post(alice, "mine")
    theirs = make_post(bob, "theirs")
    page = alice_client.get("/explore").get_data(as_text=True)
    assert f"/post/{mine.id}/edit" in page
    assert f"/post/{mine.id}/delete" in page
    assert f"/post/{mine.id}/report" not in page
    assert f"/post/{theirs.id}/report" in page
    assert f"/post/{theirs.id}/edit" not in page
    assert "/moderation/" not in page  # no moderation controls for a plain user


def test_edit_marks_post_edited_and_keeps_original_time(alice_client, alice, make_post, db):
    post = make_post(alice, "first words", EARLIER)
    form = alice_client.get(f"/post/{post.id}/edit").get_data(as_text=True)
    assert "first words</textarea>" in form
    response = alice_client.submit(f"/post/{post.id}/edit", {"post": "  better words  "})
    assert response.headers["Location"] == f"/post/{post.id}"
    db.session.refresh(post)
    assert post.body == "better words"
    assert post.timestamp == EARLIER
    assert post.edited_at is not None
    assert post.edited_at > EARLIER
    page = alice_client.get(f"/post/{post.id}").get_data(as_text=True)
    assert "better words" in page
    assert 'class="post-edited"' in page
    assert "first words" not in page


def test_saving_unchanged_text_is_not_an_edit(alice_client, alice, make_post, db):
    post = make_post(alice, "same")
    alice_client.submit(f"/post/{post.id}/edit", {"post": "same"})
    db.session.refresh(post)
    assert post.edited_at is None


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write something first."), ("   ", "Write something first."), ("x" * 141, "at most 140")],
)
def test_rejected_edit_keeps_text_and_post(alice_client, alice, make_post, db, body, message):
    post = make_post(alice, "unchanged")
    response = alice_client.submit(f"/post/{post.id}/edit", {"post": body})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert body.strip() in page
    db.session.refresh(post)
    assert post.body == "unchanged"
    assert post.edited_at is None


def test_delete_asks_first_then_deletes(alice_client, alice, bob, make_post, db):
    post = make_post(alice, "regrettable")
    db.session.add(Report(post=post, reporter=bob, reason="bad"))
    db.session.commit()
    confirm = alice_client.get(f"/post/{post.id}/delete")
    page = confirm.get_data(as_text=True)
    assert "Delete this post?" in page
    assert "regrettable" in page
    assert 'method="post"' in page
    assert count(db, Post) == 1  # looking at the question deletes nothing
    response = alice_client.submit(f"/post/{post.id}/delete")
    assert response.headers["Location"] == "/user/alice"
    assert count(db, Post) == 0
    assert count(db, Report) == 0  # its reports go with it
    assert alice_client.get(f"/post/{post.id}").status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [("/post/{id}/edit", {"post": "changed"}), ("/post/{id}/delete", {})],
)
def test_edit_and_delete_need_a_csrf_token(alice_client, alice, make_post, db, url, data):
    post = make_post(alice, "original")
    response = alice_client.post(url.format(id=post.id), data=data)
    assert response.status_code == 400
    db.session.refresh(post)
    assert post.body == "original"


def test_report_reaches_the_queue_once(alice_client, bob, make_post, db, alice):
    post = make_post(bob, "objectionable")
    form = alice_client.get(f"/post/{post.id}/report").get_data(as_text=True)
    assert "What is wrong with this post?" in form
    response = alice_client.submit(f"/post/{post.id}/report", {"reason": "  it is spam  "})
    assert response.headers["Location"] == f"/post/{post.id}"
    report = db.session.scalar(sa.select(Report))
    assert (report.reason, report.reporter, report.post, report.is_open) == (
        "it is spam",
        alice,
        post,
        True,
    )
    again = alice_client.get(f"/post/{post.id}/report", follow_redirects=True)
    assert "already reported" in again.get_data(as_text=True)
    assert count(db, Report) == 1


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Please say what is wrong."), ("y" * 501, "At most 500 characters.")],
)
def test_rejected_report_keeps_reason(alice_client, bob, make_post, db, reason, message):
    post = make_post(bob, "something")
    response = alice_client.submit(f"/post/{post.id}/report", {"reason": reason})
    page = response.get_data(as_text=True)
    assert message in page
    assert reason in page
    assert count(db, Report) == 0


def test_own_post_cannot_be_reported(alice_client, alice, make_post, db):
    post = make_post(alice, "mine")
    assert alice_client.get(f"/post/{post.id}/report").status_code == 403
    assert (
        alice_client.submit(f"/post/{post.id}/report", {"reason": "x"}, page="/").status_code == 403
    )
    assert count(db, Report) == 0


def test_report_needs_a_csrf_token(alice_client, bob, make_post, db):
    post = make_post(bob, "something")
    assert alice_client.post(f"/post/{post.id}/report", data={"reason": "x"}).status_code == 400
    assert count(db, Report) == 0


def test_simultaneous_duplicate_report_is_not_an_error(alice_client, alice, bob, make_post, db):
    post = make_post(bob, "reported twice at once")

    def same_report_landed_first(session, _context, _instances):
        session.execute(
            sa.insert(Report).values(
                post_id=post.id, reporter_id=alice.id, reason="first", created_at=EARLIER
            )
        )

    sa.event.listen(db.session, "before_flush", same_report_landed_first, once=True)
    try:
        response = alice_client.submit(f"/post/{post.id}/report", {"reason": "second"})
    finally:
        if sa.event.contains(db.session, "before_flush", same_report_landed_first):
            sa.event.remove(db.session, "before_flush", same_report_landed_first)
    # The race is lost quietly: one report is enough, and the reporter is thanked either way.
    assert response.status_code == 302
    assert response.headers["Location"] == f"/post/{post.id}"


def test_edit_form_explains_itself_like_the_post_box(alice_client, alice, make_post):
    """The note about "edited" is read with the box, and the counter works as on the home page:
    it says the limit without JavaScript and is not a live region announcing every key press."""
    post = make_post(alice, "first words")
    page = alice_client.get(f"/post/{post.id}/edit").get_data(as_text=True)
    assert 'aria-describedby="post-hint"' in page
    assert '<p class="hint" id="post-hint">It will be marked “edited”' in page
    assert f'data-max="{POST_MAX_LENGTH}"' in page
    assert (
        f'<span id="post-counter" class="counter">Up to {POST_MAX_LENGTH} characters</span>' in page
    )
    assert "aria-live" not in page


def test_a_post_runs_a_fixed_number_of_statements(db, alice_client, alice, make_post, statements):
    """Posting is the write the busiest pages wait on (bench.writes): a post with a tag that
    exists already and no mention runs 4 statements on SQLite (8 before 2026-12-04, then 6):
    the session user, the post with its double-submit check, its words, its tag's link (the
    stored counts and home feeds are triggers'). PostgreSQL writes the last three in one. A
    post that mentions someone goes through the ORM: the double-submit check is a statement
    of its own, a new tag costs its insert and the link again, and the name is looked up."""
    postgresql = db.engine.dialect.name == "postgresql"
    make_post(alice, "by the #sea")  # the tag exists
    page = alice_client.get("/").get_data(as_text=True)
    statements.clear()
    data = {"csrf_token": csrf_token_from(page), "post": "again by the #sea"}
    assert alice_client.post("/", data=data).status_code == 302
    assert len(statements) == (2 if postgresql else 4), [s[:40] for s in statements]
    assert not any("FROM mention" in s for s in statements)
    statements.clear()
    data = {"csrf_token": csrf_token_from(page), "post": "a #newtag and @bob"}
    assert alice_client.post("/", data=data).status_code == 302
    assert len(statements) == 8, [" ".join(s.split())[:40] for s in statements]
    statements.clear()
    data = {"csrf_token": csrf_token_from(page), "post": "the #newest #sea tag"}
    assert alice_client.post("/", data=data).status_code == 302
    # + the new tag's insert and the link again.
    assert len(statements) == (4 if postgresql else 6), [s[:40] for s in statements]
    tags = sa.select(Tag.name).join(post_tag).join(Post).where(Post.body == data["post"])
    assert sorted(db.session.scalars(tags)) == ["newest", "sea"]
