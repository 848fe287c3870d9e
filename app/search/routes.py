"""The people search page."""

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from app.listings.pages import page_links, page_of
from app.listings.people import cards_named_like
from app.search.forms import PeopleSearchForm

bp = Blueprint("search", __name__, template_folder="templates")


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
