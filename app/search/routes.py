"""The search tabs (Posts, People, Tags) and the page of each hashtag."""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from app.database import custom_plans
from app.extensions import db
from app.listings.pages import page_links, page_of
from app.listings.people import cards_named_like
from app.models.search import is_tag_name, normalize_tag
from app.search.forms import PeopleSearchForm, PostSearchForm, TagSearchForm
from app.search.query import MAX_TERMS, NEWEST, ORDERS, order_named, parse_query, search_pages
from app.search.tags import tag_cards, tag_named, tags_named_like

bp = Blueprint("search", __name__, template_folder="templates")


@bp.record_once
def _check_config(state) -> None:
    """Refuse a relevance window that could rank nothing: better at start-up than empty pages."""
    if state.app.config["SEARCH_RELEVANCE_WINDOW"] < 1:
        raise ValueError("SEARCH_RELEVANCE_WINDOW must be at least 1")


NOTHING_TO_SEARCH_FOR = (
    'Nothing to search for: type a word, a "phrase in quotes", a #tag or from:name '
    "(-word leaves out posts with that word)."
)
TOO_MANY_TERMS = f"Search for at most {MAX_TERMS} words, phrases, names and tags at once."


@bp.route("/search/posts")
@login_required
def posts():
    """Posts with the words (phrases, tags, authors) of ``q`` that everyone may see, newest
    first or, with ``sort=relevant``, the newest ``SEARCH_RELEVANCE_WINDOW`` of them most
    relevant first (any other ``sort``: newest)."""
    form = PostSearchForm(formdata=request.args)
    order = order_named(request.args.get("sort"))
    sort = None if order == NEWEST else order  # the default stays out of addresses
    text = form.q.data if form.validate() else ""
    query = parse_query(text or "")
    if text and query.is_empty:
        form.q.errors.append(NOTHING_TO_SEARCH_FOR)
    elif query.size > MAX_TERMS:
        form.q.errors.append(TOO_MANY_TERMS)
    if form.q.errors or query.is_empty:
        return render_template(
            "search/posts.html", title="Search posts", form=form, page=None, sort=sort
        )
    first_page = url_for("search.posts", q=text, sort=sort)
    viewer_id = current_user.id if current_user.is_authenticated else None
    window = current_app.config["SEARCH_RELEVANCE_WINDOW"]
    if query.tags or query.authors:
        # Words alone carry what decides their plan in the statement's text (see
        # app.search.query.in_statement_text); a named person's or tag's share of the posts
        # is a parameter, which a generic plan cannot see.
        custom_plans(db.session)
    pages = search_pages(query, db.engine.dialect.name, viewer_id, order, window)
    page = page_of(pages, first_page)
    return render_template(
        "search/posts.html",
        title=f"Search posts: {text}",
        form=form,
        posts=[found.card for found in page.items],
        words=query.words,
        page=page,
        orders=ORDERS,
        order=order,
        sort=sort,
        ranked=order != NEWEST and bool(query.phrases),
        **page_links("search.posts", page, q=text, sort=sort),
    )


@bp.route("/search")
@login_required
def people():
    """People whose username starts with the text in ``q``, by name, with Follow buttons."""
    form = PeopleSearchForm(formdata=request.args)
    name_start = form.q.data if form.validate() else ""
    if not name_start:  # nothing asked yet, or a mistake to show next to the box
        return render_template("search/people.html", title="Find people", form=form, page=None)
    first_page = url_for("search.people", q=name_start)
    page = page_of(cards_named_like(name_start, current_user), first_page)
    return render_template(
        "search/people.html",
        title=f"Find people: {name_start}",
        form=form,
        people=page.items,
        page=page,
        **page_links("search.people", page, q=name_start),
    )


@bp.route("/search/tags")
@login_required
def tags():
    """Hashtags whose name starts with ``q``, by name."""
    form = TagSearchForm(formdata=request.args)
    start = normalize_tag(form.q.data or "") if form.validate() else ""
    if not start:
        return render_template("search/tags.html", title="Find tags", form=form, page=None)
    page = page_of(tags_named_like(start), url_for("search.tags", q=form.q.data))
    return render_template(
        "search/tags.html",
        title=f"Find tags: {start}",
        form=form,
        tags=page.items,
        page=page,
        **page_links("search.tags", page, q=form.q.data),
    )


@bp.route("/tags/<tag>")
@login_required
def tag(tag: str):
    """The posts with a hashtag, newest first (``tag`` in any case: links use the stored form)."""
    name = normalize_tag(tag)
    found = tag_named(name) if is_tag_name(name) else None
    if found is None:
        abort(404)
    page = page_of(tag_cards(found, current_user))
    return render_template(
        "search/tag.html",
        title=f"#{found.name}",
        tag=found,
        posts=page.items,
        **page_links("search.tag", page, tag=found.name),
    )
