"""The tests' own database set-up (tests/conftest.py, tests/helpers.py): every test starts
from empty tables whose ids start again from 1, however the previous test left them."""

import sqlalchemy as sa

from app.models import Post, like
from tests.helpers import add_users, empty_all_tables


def _row_counts(db) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def test_a_test_starts_from_empty_tables(db):
    assert not any(_row_counts(db).values())


def test_emptying_leaves_no_row_and_ids_start_again(db):
    # Rows that the count and feed triggers write beside them, in most of the tables.
    alice, bob = add_users("alice", "bob")
    alice.follow(bob)
    post = Post(body="hello #owls", author=bob)
    db.session.add(post)
    db.session.commit()
    like(alice, post)
    db.session.commit()
    assert sum(_row_counts(db).values()) > 5
    db.session.remove()  # emptying waits for no open transaction of ours

    empty_all_tables()

    assert not any(_row_counts(db).values())
    (carol,) = add_users("carol")
    post = Post(body="again", author=carol)
    db.session.add(post)
    db.session.commit()
    assert carol.id == 1
    assert post.id == 1  # as TRUNCATE ... RESTART IDENTITY did (SQLite: its AUTOINCREMENT)
