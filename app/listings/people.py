"""Lists of people, a page at a time: followers and followings, and people found by name.

Follower lists come newest follow first. Ordered by name, every page had to sort all of a
user's followers (about 1 ms for the 7,000 followers of the most followed of 10,000 users, and
growing with them). Ordered by when each follow began, a page is one range of a followers
index, however long the list. People found by name come in name order: a walk along the
unique index of names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_login import current_user
from markupsafe import Markup

from app.extensions import db
from app.listings.bundles import TupleBundle
from app.listings.keyset import (
    Keyset,
    PageQuery,
    PreparedListing,
    decode_text,
    prefix_end,
    time_id_keyset,
)
from app.models import User, followers
from app.models.params import USER_ID, VIEWER_ID
from app.models.user import who_to_follow_statement
from app.web.fragments import join_with_csrf_token, kept_fragments
from app.web.memo import Memo


class PersonCard(NamedTuple):
    """Someone in a list of people, and in a follower or following list when that follow began."""

    id: int
    username: str
    followed_at: datetime | None  # None outside follower and following lists
    viewer_follows: bool  # whether the person reading the list follows them


_VIEWERS = followers.alias("viewers_follow")
# A probe of the primary key per person: the Follow buttons need no statement of their own.
_VIEWER_FOLLOWS = sa.exists().where(
    _VIEWERS.c.follower_id == VIEWER_ID, _VIEWERS.c.followed_id == User.id
)
_PERSON = TupleBundle(PersonCard, User.id, User.username, followers.c.created_at, _VIEWER_FOLLOWS)


# Suspended accounts cannot log in or be seen posting: lists of people leave them out, asked
# of the row each person's card is read from (as "not one of the suspended", each page listed
# every suspended account: with 10,000 of them a page of followers took 9.5 ms on PostgreSQL
# instead of 0.6; as a probe of the row by key, PostgreSQL sorted every name after the text
# searched for). The index of suspension times holds suspended accounts only, so neither
# database walks it for this.
_NOT_SUSPENDED = User.suspended_at.is_(None)


def _newest_first(person: sa.Column, owner: sa.Column) -> tuple[Keyset, PreparedListing]:
    """The order and the listing of the people in ``person`` for the user in ``owner``,
    suspended accounts left out."""
    keyset = time_id_keyset(
        followers.c.created_at,
        person,
        descending=True,
        position=lambda card: (card.followed_at, card.id),
    )
    listing = PreparedListing(
        keyset,
        lambda: (
            sa.select(_PERSON)
            .join(followers, person == User.id)
            .where(owner == USER_ID, _NOT_SUSPENDED)
        ),
    )
    return keyset, listing


FOLLOWERS_NEWEST_FIRST, _FOLLOWERS = _newest_first(followers.c.follower_id, followers.c.followed_id)
FOLLOWING_NEWEST_FIRST, _FOLLOWING = _newest_first(followers.c.followed_id, followers.c.follower_id)


def follower_cards(user: User, viewer: User) -> PageQuery:
    """Pages of the people following ``user`` (:data:`FOLLOWERS_NEWEST_FIRST`) for ``viewer``."""
    return _FOLLOWERS.pages(user_id=user.id, viewer_id=viewer.id)


def following_cards(user: User, viewer: User) -> PageQuery:
    """Pages of the people ``user`` follows (:data:`FOLLOWING_NEWEST_FIRST`) for ``viewer``."""
    return _FOLLOWING.pages(user_id=user.id, viewer_id=viewer.id)


PEOPLE_BY_NAME = Keyset(
    columns=(User.username_key,),
    descending=False,
    encode=lambda card: card.username.lower(),  # the username_key of that name
    decode=decode_text,
)

_NAME_START = sa.bindparam("name_start", type_=sa.String)
_NAME_END = sa.bindparam("name_end", type_=sa.String)
_NAMED = TupleBundle(PersonCard, User.id, User.username, sa.null(), _VIEWER_FOLLOWS)
# The names that start with the text are exactly the range from it to the text with its last
# character one further: username_key compares by code point on both databases (see User). The
# walk along the name index stops where they end; with a lower bound and LIKE it went on to
# the last name when fewer than a page matched (a search for a name nobody has read every name
# after it), and on PostgreSQL LIKE's own range beside this one made the planner guess a
# seventh of the names 'jo' finds, and sort them all instead of walking the index.
_PEOPLE_NAMED = PreparedListing(
    PEOPLE_BY_NAME,
    lambda: sa.select(_NAMED).where(
        User.username_key >= _NAME_START, User.username_key < _NAME_END, _NOT_SUSPENDED
    ),
)


def cards_named_like(start: str, viewer: User) -> PageQuery:
    """Pages of the people whose username starts with ``start`` (any case), by name, for
    ``viewer``; ``start`` holds only the characters a username may have."""
    key = start.lower()
    return _PEOPLE_NAMED.pages(name_start=key, name_end=prefix_end(key), viewer_id=viewer.id)


def suggestion_cards(user: User) -> list[PersonCard]:
    """Up to three people ``user`` might follow (:meth:`User.who_to_follow`, its statement
    built once), as cards."""
    return [
        PersonCard(person_id, username, None, False)
        for person_id, username in db.session.execute(
            who_to_follow_statement(), {"user_id": user.id}
        )
    ]


# Their statement (a count over the follows of everyone followed) and cards cost a fifth
# of a home page; suggestions a minute old are as good.
_SUGGESTIONS: Memo[list[PersonCard]] = Memo("suggestions", seconds=60)


def who_to_follow() -> list[PersonCard]:
    """The side column's suggestions for the current user; none for a visitor. A template
    global: only the pages that show them (home) pay for them.

    A process reuses someone's suggestions for a minute. Following or unfollowing forgets
    them (:func:`forget_suggestions`) in the process that served it; another worker may
    offer a just-followed account for the rest of its minute, and following it again
    changes nothing.
    """
    if not current_user.is_authenticated:
        return []
    return _SUGGESTIONS.get(_account(current_user), lambda: suggestion_cards(current_user))


def forget_suggestions(user: User) -> None:
    """Make the next page ask again for ``user``'s suggestions (they followed or unfollowed
    someone)."""
    _SUGGESTIONS.forget(_account(user))


def _account(user: User) -> tuple:
    # An account, not only an id: SQLite may give a deleted account's id to a new one.
    return user.id, user.created_at


def people_list_html(
    people: Iterable[PersonCard],
    here: str,
    my_id: int | None,
    may_follow: bool,
    *,
    with_token: bool = False,
) -> Markup:
    """Template global: ``people`` as a list, each with Follow or Unfollow (back to ``here``
    afterwards) for the reader ``my_id``, who may follow people if ``may_follow``; the forms
    carry the reader's CSRF token if ``with_token``, else its mark (for a fragment: see
    :func:`app.web.fragments.with_csrf_token`).

    Each person's row is a fragment: rendered once, then shared by every reader who sees that
    person the same way (following them or not, allowed to follow) on the same page.
    Rendering the rows one by one through a macro cost a third of a follower list's time.
    """
    rows = kept_fragments(
        "_partials/_person.html",
        (
            {
                "person_id": person.id,
                "username": person.username,
                "follows": person.viewer_follows,
                "may_follow": may_follow and person.id != my_id,
                "here": here,
            }
            for person in people
        ),
    )
    return join_with_csrf_token(
        [('<ul class="people">',), *rows, ("</ul>",)], "\n", keep_marks=not with_token
    )
