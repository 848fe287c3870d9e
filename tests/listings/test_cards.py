"""Post cards: listings read them as plain values and show them from a cache of rendered HTML.

The cache must never show anything stale: an edit, a hide, a rename or a suspension shows on
the next page view, and the relative time moves on.
"""

import itertools
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.listings import cards as card_rendering
from app.listings.cards import CardCache, render_card, render_thread
from app.listings.keyset import keyset_page
from app.listings.posts import PostCard, explore_cards, profile_cards
from app.listings.threads import thread_replies
from app.models import Post, User, visible_to
from app.models.types import utcnow
from app.web import filters
from app.web.fragments import with_csrf_token
from app.web.permissions import AnonymousUser
from app.web.sessions import log_in, start_session


def card_html(html: str, post_id: int) -> str:
    """The <article> of the post ``post_id`` in a page."""
    start = html.index(f'href="/post/{post_id}"')
    return html[html.rindex("<article", 0, start) : html.index("</article>", start)]


@pytest.fixture
def rendered(app, monkeypatch):
    """Counts calls of the card macro, which the cache saves."""
    calls = []
    real = card_rendering.render_card

    def counting(card, viewer, **options):
        calls.append(card.id)
        return real(card, viewer, **options)

    monkeypatch.setattr(card_rendering, "render_card", counting)
    return calls


def test_a_card_is_the_post_and_its_author(db, alice, make_post):
    post = make_post(alice, "a card")
    card = PostCard.of(post)
    assert (card.id, card.body, card.user_id, card.author_username) == (
        post.id,
        "a card",
        alice.id,
        "alice",
    )
    assert not card.is_hidden
    assert not card.author_is_suspended


@pytest.mark.parametrize("who", ["anonymous", "author", "reader", "unconfirmed reader"])
def test_cached_html_is_what_the_macro_renders(app, db, alice, bob, make_user, make_post, who):
    card = PostCard.of(make_post(alice, "same either way"))
    viewer = {
        "anonymous": AnonymousUser(),
        "author": alice,
        "reader": bob,
        "unconfirmed reader": make_user("newbie", confirmed=False),
    }[who]
    cache = CardCache(10)
    with app.test_request_context("/"):
        if who != "anonymous":
            log_in(viewer, start_session(viewer, remember=False))
        first = cache.render([card], viewer)
        assert cache.render([card], viewer) == first == with_csrf_token(render_card(card, viewer))
    # Reporting needs a confirmed address: it is not offered before.
    assert ("Edit" in first, "Report" in first) == {
        "anonymous": (False, False),
        "author": (True, False),
        "reader": (False, True),
        "unconfirmed reader": (False, False),
    }[who]


def test_readers_share_cards_and_the_author_gets_their_own(
    app, alice, bob, make_user, make_post, rendered
):
    carol = make_user("carol")
    card = PostCard.of(make_post(alice, "shared"))
    cache = CardCache(10)
    with app.test_request_context("/"):
        for viewer in (bob, carol, bob, alice, alice, AnonymousUser()):
            cache.render([card], viewer)
    assert len(rendered) == 3  # one for readers, one for the author, one for nobody
    assert len(cache) == 3


def test_readers_who_may_not_report_get_their_own_cards(app, bob, make_user, make_post):
    card = PostCard.of(make_post(make_user("carol"), "reportable?"))
    newbie = make_user("newbie", confirmed=False)
    cache = CardCache(10)
    with app.test_request_context("/"):
        assert "Report" in cache.render([card], bob)
        assert "Report" not in cache.render([card], newbie)
        assert "Report" in cache.render([card], bob)


def test_readers_sharing_a_card_each_get_their_own_csrf_token(app, db, alice, bob, make_post):
    # The card's Like form is cached once for every reader; each must send their own token.
    card = PostCard.of(make_post(alice, "like me"))
    cache = CardCache(10)
    tokens = []
    for reader in (alice, bob):
        with app.test_request_context("/"):
            log_in(reader, start_session(reader, remember=False))
            html = cache.render([card], bob if reader is alice else alice)
            assert "<csrf-token>" not in html
            tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', html).group(1))
            assert tokens[-1] == generate_csrf()
    assert tokens[0] != tokens[1]


def test_the_cache_keeps_at_most_its_size(app, alice, bob, make_post, rendered):
    cards = [PostCard.of(make_post(alice, f"post {n}")) for n in range(5)]
    cache = CardCache(3)
    with app.test_request_context("/"):
        for card in cards:
            cache.render([card], bob)
        assert len(cache) == 3
        cache.render([cards[-1]], bob)  # still there
        assert len(rendered) == 5
        cache.render([cards[0]], bob)  # the oldest went first
        assert len(rendered) == 6


def test_the_relative_time_moves_on(app, alice, bob, make_post, monkeypatch):
    card = PostCard.of(make_post(alice, "then", utcnow() - timedelta(minutes=5)))
    cache = CardCache(10)
    with app.test_request_context("/"):
        assert "5 minutes ago" in cache.render([card], bob)
        later = utcnow() + timedelta(hours=2)
        monkeypatch.setattr(card_rendering, "utcnow", lambda: later)
        assert "2 hours ago" in cache.render([card], bob)


def test_listings_show_changes_at_once(db, alice_client, alice, bob, make_post, make_staff):
    post = make_post(bob, "first words")
    alice.follow(bob)
    db.session.commit()
    for url in ("/", "/explore", "/user/bob"):
        assert "first words" in card_html(alice_client.get(url).get_data(as_text=True), post.id)

    post.edit("second thoughts")
    db.session.commit()
    for url in ("/", "/explore", "/user/bob"):
        html = card_html(alice_client.get(url).get_data(as_text=True), post.id)
        assert "second thoughts" in html
        assert "edited" in html

    bob.username = "robert"
    db.session.commit()
    html = card_html(alice_client.get("/explore").get_data(as_text=True), post.id)
    assert ">robert</a>" in html
    assert "/user/robert" in html

    bob.suspended_at = utcnow()
    db.session.commit()
    assert f'href="/post/{post.id}"' not in alice_client.get("/explore").get_data(as_text=True)


def test_authors_see_their_hidden_post_marked(db, alice_client, alice, make_post, make_staff):
    post = make_post(alice, "mine")
    alice_client.get("/")  # cached as shown before the hide
    post.hide(make_staff("mod", "moderator"))
    db.session.commit()
    html = card_html(alice_client.get("/").get_data(as_text=True), post.id)
    assert "Hidden by a moderator" in html
    assert "post-hidden" in html


def test_moderators_get_hide_links_back_to_the_page(client, login, alice, make_post, make_staff):
    post = make_post(alice, "to moderate")
    make_staff("mod", "moderator")
    login("mod")
    html = card_html(client.get("/explore").get_data(as_text=True), post.id)
    assert f"/moderation/post/{post.id}/hide?next=/explore" in html


def walk(source, per_page: int = 3) -> tuple[list[int], list[int]]:
    """Post ids of every page forward, then of every page back from the last one."""
    forward, page = [], keyset_page(source, per_page)
    forward += [card.id for card in page.items]
    while page.next_cursor:
        page = keyset_page(source, per_page, after=page.next_cursor)
        forward += [card.id for card in page.items]
    backward = [card.id for card in page.items]
    while page.prev_cursor:
        page = keyset_page(source, per_page, before=page.prev_cursor)
        backward = [card.id for card in page.items] + backward
    return forward, backward


@pytest.mark.parametrize("who", [None, "alice", "bob"])
def test_prepared_listings_give_the_pages_of_the_plain_queries(db, alice, bob, make_post, who):
    when = utcnow()
    for n in range(8):  # ties on the timestamp, a hidden post of each author
        make_post(alice, f"alice {n}", when - timedelta(minutes=n // 2))
        make_post(bob, f"bob {n}", when - timedelta(minutes=n // 3))
    hidden = db.session.scalars(sa.select(Post).where(Post.body.in_(["alice 3", "bob 5"]))).all()
    for post in hidden:
        post.hidden_at = when
    db.session.commit()
    viewer = {"alice": alice, "bob": bob}.get(who)
    newest = (Post.timestamp.desc(), Post.id.desc())
    everyone = db.session.scalars(sa.select(Post.id).where(visible_to(viewer)).order_by(*newest))
    expected = everyone.all()
    assert walk(explore_cards(viewer)) == (expected, expected)
    alices = [post.id for post in db.session.scalars(alice.authored_posts(viewer))]
    assert walk(profile_cards(alice, viewer)) == (alices, alices)
    assert len(alices) == (8 if who == "alice" else 7)


def test_prepared_statements_are_built_once(alice, bob):
    first, _ = explore_cards(alice)(None, False, 4)
    again, values = explore_cards(bob)(None, False, 4)
    assert again is first
    assert values == {"viewer_id": bob.id, "page_limit": 4}


def test_a_listing_is_its_cards_in_order(app, alice, bob, make_post):
    cards = [PostCard.of(make_post(alice, f"post {n}")) for n in range(3)]
    cache = CardCache(10)
    with app.test_request_context("/"):
        log_in(bob, start_session(bob, remember=False))
        expected = with_csrf_token(
            Markup("").join(render_card(card, bob) for card in reversed(cards))
        )
        assert cache.render(reversed(cards), bob) == expected
        assert cache.render(reversed(cards), bob) == expected  # from the cache


def test_threads_can_fill_a_small_cache_at_once(app, alice, bob, make_post):
    cards = [PostCard.of(make_post(alice, f"post {n}")) for n in range(40)]
    cache = CardCache(5)
    assert bob.id  # loaded here: the threads only read it
    start = threading.Barrier(4)

    def fill(offset: int) -> None:
        with app.test_request_context("/"):
            start.wait()
            for n in range(200):
                cache.render([cards[(n + offset) % len(cards)]], bob)

    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(fill, offset) for offset in range(4)]:
            done.result()  # re-raises anything a thread raised
    assert len(cache) == 5


def test_a_card_two_threads_rendered_at_once_is_kept_once_and_evicts_nothing():
    """Both threads missed it and both keep it: the second must not push out another card
    (the cache above would end up one card short, and the test above fail now and then)."""
    cache = CardCache(3)
    for key in ("a", "b", "c", "c"):
        cache._keep((key,), Markup("<p>card</p>"))
    assert len(cache) == 3


def test_the_cache_size_must_be_positive():
    with pytest.raises(ValueError, match="POST_CARD_CACHE_SIZE"):
        CardCache(0)


def test_a_thread_is_rendered_in_one_pass_as_card_by_card(
    app, db, alice, bob, make_post, make_reply, make_staff, rendered
):
    """render_thread gives what the thread page gave when it rendered each post on its own:
    each visible card as the cache renders it, in its depth's indent, placeholders in place."""
    root = make_post(alice, "root")
    first = make_reply(root, bob, "first")
    deeper = make_reply(first, alice, "deeper")
    hidden = make_reply(root, bob, "hidden")
    hidden.hide(make_staff("mod", "moderator"))
    db.session.commit()
    items = keyset_page(thread_replies(root, alice), 10).items
    assert [(item.id, item.visible) for item in items] == [
        (first.id, True),
        (deeper.id, True),
        (hidden.id, False),
    ]
    with app.test_request_context("/"):
        log_in(alice, start_session(alice, remember=False))
        cache = app.extensions["post_cards"]
        html = render_thread(items, alice, below=root)
        assert "<csrf-token>" not in html
        assert html.count(generate_csrf()) == 2  # the Like forms of the two cards
        assert rendered == [first.id, deeper.id]  # one macro call per visible post
        depths = re.findall(r'<div class="thread-depth-(\d)">', html)
        assert depths == ["1", "2", "1"]
        for item in items[:2]:
            assert cache.render([item.card], alice) in html
        assert "This post is not available." in html
        above = render_thread([None, items[0]], alice)
        assert "This post was deleted." in above
        assert "thread-depth" not in above
        assert above.endswith(cache.render([items[0].card], alice))


# The HTML of every kind of card, pinned: the macro's output is what readers, chirp.js and the
# browser tests depend on, and making the macro cheaper must not change a byte of it.
# ``UPDATE_CARD_GOLDEN=1 pytest tests/listings/test_cards.py -k pinned`` writes the file again
# after a change of the markup meant as one (review its diff).
CARD_GOLDEN = Path(__file__).with_name("cards.golden.html")
_WHEN = datetime(2024, 3, 5, 7, 9, 11, tzinfo=UTC)
_ALICE = User(id=1, username="alice", email="alice@example.com", email_confirmed_at=_WHEN)
_BOB = User(id=2, username="bob", email="bob@example.com", email_confirmed_at=_WHEN)
_NEWBIE = User(id=3, username="newbie", email="newbie@example.com", email_confirmed_at=None)
_MOD = User(id=4, username="mod", email="mod@example.com", email_confirmed_at=_WHEN)
_VIEWERS = {"anonymous": AnonymousUser(), "alice": _ALICE, "bob": _BOB, "newbie": _NEWBIE}
_VIEWERS["mod"] = _MOD


def golden_card(**changes) -> PostCard:
    """A card of alice's (post 17), with ``changes``."""
    values = {
        "id": 17,
        "body": "plain words",
        "timestamp": _WHEN,
        "edited_at": None,
        "hidden_at": None,
        "user_id": 1,
        "author_username": "alice",
        "author_suspended_at": None,
        "in_reply_to_id": None,
        "in_reply_to_username": None,
        "reply_count": 0,
        "like_count": 0,
        "viewer_liked": False,
        "mentions": None,
    }
    return PostCard(**{**values, **changes})


_RICH = (
    "hi @bob and @Ghost, #Flask #Ünïcode https://example.com/a?b=1&c=<2> (see https://x.org/p)"
    " <script>alert('x')</script> & \"quoted\" @nobody."
)
_COUNTED = {"reply_count": 2, "like_count": 1}
_REPLY = {"in_reply_to_id": 9, "in_reply_to_username": "bob"}
_EDITED = {"edited_at": _WHEN + timedelta(minutes=3)}
# name: (card changes, viewer, render options). "relative" is given unless the case says not.
GOLDEN_CASES = {
    "anonymous, plain": ({}, "anonymous", {}),
    "anonymous, counts": (_COUNTED, "anonymous", {}),
    "anonymous, reply, edited": ({**_REPLY, **_EDITED}, "anonymous", {}),
    "anonymous, answers a deleted post": ({"in_reply_to_id": 9}, "anonymous", {}),
    "anonymous, rich text": (
        {"body": _RICH, "mentions": "bob=robert ghost=ghost"},
        "anonymous",
        {},
    ),
    "anonymous, empty text, relative time computed": (
        {"body": ""},
        "anonymous",
        {"relative": None},
    ),
    "author, plain": ({}, "alice", {}),
    "author, liked, counts": ({**_COUNTED, "viewer_liked": True}, "alice", {}),
    "author, hidden, counts": ({**_COUNTED, "hidden_at": _WHEN}, "alice", {}),
    "reader, plain": ({}, "bob", {}),
    "reader, one of each, liked, reply": (
        {"reply_count": 1, "like_count": 1, "viewer_liked": True, **_REPLY},
        "bob",
        {},
    ),
    "reader, many": ({"reply_count": 5, "like_count": 3}, "bob", {}),
    "reader, author suspended": ({**_COUNTED, "author_suspended_at": _WHEN}, "bob", {}),
    "reader, not reportable": (_COUNTED, "bob", {"reportable": False}),
    "reader, no actions": (_COUNTED, "bob", {"actions": False}),
    "reader, likes only": ({"like_count": 2}, "bob", {}),
    "unconfirmed reader": (_COUNTED, "newbie", {}),
    "moderator, hide": (_COUNTED, "mod", {"moderator": True, "back": "/explore?q=a&b=<c>"}),
    "moderator, unhide": ({"hidden_at": _WHEN}, "mod", {"moderator": True, "back": "/"}),
    "moderator, own post, not reportable": (
        {"user_id": 4, "author_username": "mod"},
        "mod",
        {"moderator": True, "back": "/", "reportable": False},
    ),
    "moderator, no actions": ({}, "mod", {"moderator": True, "back": "/", "actions": False}),
    "focus, author, one of each, edited": (
        {"reply_count": 1, "like_count": 1, **_EDITED},
        "alice",
        {"focus": True},
    ),
    "focus, anonymous, none": ({}, "anonymous", {"focus": True}),
    "focus, reader, many, hidden, suspended": (
        {"reply_count": 3, "like_count": 2, "hidden_at": _WHEN, "author_suspended_at": _WHEN},
        "bob",
        {"focus": True},
    ),
    "focus, moderator, reply": (_REPLY, "mod", {"focus": True, "moderator": True, "back": "/"}),
    "under a script root, reader": ({**_COUNTED, **_REPLY}, "bob", {"root": "/sub"}),
}


def render_golden_cases(app) -> dict[str, str]:
    """Each case of :data:`GOLDEN_CASES` as the macro renders it."""
    html = {}
    for name, (changes, who, options) in GOLDEN_CASES.items():
        options = {"relative": "3 hours ago", **options}
        root = options.pop("root", "")
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            html[name] = str(render_card(golden_card(**changes), _VIEWERS[who], **options))
    return html


def test_every_kind_of_card_renders_as_pinned(app, monkeypatch):
    monkeypatch.setattr(filters, "utcnow", lambda: _WHEN + timedelta(days=2, hours=5))
    html = render_golden_cases(app)
    text = "".join(f"<!-- {name} -->{card}\n" for name, card in html.items())
    if os.environ.get("UPDATE_CARD_GOLDEN"):
        CARD_GOLDEN.write_text(text, encoding="utf-8")
    pinned = dict(
        re.findall(r"<!-- (.+?) -->(.*?)\n(?=<!-- |\Z)", CARD_GOLDEN.read_text("utf-8"), re.S)
    )
    assert list(pinned) == list(html)
    for name, card in html.items():
        assert card == pinned[name], name


class _Tags(HTMLParser):
    """The open elements of a card, to check that each one closes (void elements aside)."""

    VOID = {"img", "input", "use"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag) -> None:
        if tag not in self.VOID:
            assert self.open.pop() == tag


@pytest.mark.parametrize("who", ["anonymous", "alice", "bob", "newbie", "mod"])
def test_every_card_is_whole_and_offers_what_its_reader_may_do(app, who):
    """Every card shape, for every kind of reader: its elements close, and it offers the
    controls the rules give (the pinned cards above hold the exact bytes of a few)."""
    viewer, moderator = _VIEWERS[who], who == "mod"
    shapes = itertools.product(
        (None, _WHEN),  # hidden
        (None, _WHEN),  # author suspended
        (0, 1, 4),  # replies
        (0, 1, 3),  # likes
        (False, True),  # liked
        ({}, _REPLY, {"in_reply_to_id": 9}),
        (1, 4),  # author: alice or mod
    )
    with app.test_request_context("/"):
        for hidden, suspended, replies, likes, liked, reply, author in shapes:
            card = golden_card(
                hidden_at=hidden,
                author_suspended_at=suspended,
                reply_count=replies,
                like_count=likes,
                viewer_liked=liked,
                user_id=author,
                author_username=_VIEWERS["alice" if author == 1 else "mod"].username,
                **reply,
            )
            for actions, focus in itertools.product((True, False), (False, True)):
                html = render_card(
                    card,
                    viewer,
                    actions=actions,
                    moderator=moderator,
                    back="/" if moderator else None,
                    relative="just now",
                    focus=focus,
                )
                tags = _Tags()
                tags.feed(html)
                tags.close()
                assert tags.open == []
                member = actions and who != "anonymous"
                answerable = hidden is None and suspended is None
                mine = viewer.is_authenticated and viewer.id == author
                assert ("data-like>" in html) == (member and answerable)
                assert ('name="reply"' in html) == (member and answerable)
                assert ("/edit" in html) == (member and mine)
                may_report = answerable and viewer.is_authenticated and viewer.is_confirmed
                assert ("/report" in html) == (member and not mine and may_report)
                assert ("/hide?" in html or "/unhide?" in html) == (member and moderator)
                assert ('class="post-dates"' in html) == focus
                assert ('/likes"' in html) == bool(likes and (focus or not (member and answerable)))
